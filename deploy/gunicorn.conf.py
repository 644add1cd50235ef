"""gunicorn configuration for the portal's app servers (``gunicorn -c deploy/gunicorn.conf.py
portal.wsgi:application``). Every value can be overridden on the command line or with
the ``GUNICORN_*`` environment variables below. See docs/deploy.md for sizing."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: each request runs on one thread with its own database connection; the
# money paths rely on row locks, not on in-process state, so any number of workers on
# any number of machines is safe. 2 × cores + 1 is gunicorn's usual starting point.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
# PDF rendering never runs in a request (the report worker does it), so 30 s is ample;
# a stuck request is killed and the worker replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak in any library cannot grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = 500
# Load the app before forking: faster start, shared memory pages (copy-on-write).
preload_app = True
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
proc_name = "gongyi-portal"


def post_fork(server, worker):
    # preload_app imports Django in the master; never share its database sockets.
    from django.db import connections

    connections.close_all()
