"""Settings for ``public_bench.py``'s server: the dev settings, DEBUG off, plus one
minimal view (the framework floor the public pages are compared with) and a
``Server-Timing`` header on every response (wall and CPU time spent in Django, so the
client can report the time *at the server*, apart from queueing and from the load of a
shared machine)."""

from portal.settings.dev import *  # noqa: F403

DEBUG = False
ROOT_URLCONF = "bench.public_urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
MIDDLEWARE = ["bench.public_urls.ServerTimingMiddleware", *MIDDLEWARE]  # noqa: F405
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"null": {"class": "logging.NullHandler"}},
    "root": {"handlers": ["null"], "level": "CRITICAL"},
}
