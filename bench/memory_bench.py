"""Memory: one gunicorn worker's RSS before and after 10,000 mixed requests.

One sync worker (so every request lands in the process being measured; worker recycling
off: ``--max-requests 0``) against the large database (``MEMORY_BENCH_DATABASE_URL``,
default the load bench's ``portal_ops_load``). After 300 warm-up requests the worker's
RSS is read from ``/proc`` (``memory_worker_rss_start_mb``); the bench then sends
``MEMORY_BENCH_REQUESTS`` (default 10,000) requests mixing the home page, directory (half
cache-busted), project pages, the API, donate pages, statistics, the minimal view and
``/healthz`` from 4 client threads (a fixed count, not a fixed duration); the RSS is
read again (``memory_worker_rss_end_mb``, baseline = start, so
the ratio is the growth factor: flat ≈ 1.0).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/portal_ops_load"
REQUESTS = int(os.environ.get("MEMORY_BENCH_REQUESTS", "10000"))
PORT = int(os.environ.get("MEMORY_BENCH_PORT", "8142"))


def database_url() -> str:
    return os.environ.get("MEMORY_BENCH_DATABASE_URL", DEFAULT_URL)


def run() -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "bench.public_settings",
        "DJANGO_READ_DOT_ENV": "0",
    }
    # The large seed is kept between runs (built the first time); schema brought up to date.
    from wrk_helpers import ensure_large_database

    ensure_large_database(database_url())
    out = subprocess.run(
        [sys.executable, __file__, "--child"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode:
        sys.stderr.write(out.stdout[-3000:] + out.stderr[-5000:])
        raise SystemExit(f"{Path(__file__).name} failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def mixed(slugs: list[str]) -> list[tuple]:
    requests = []
    for i, slug in enumerate(slugs):
        requests += [
            ("GET", f"/projects/{quote(slug)}/"),
            ("GET", f"/donate/{quote(slug)}/"),
            ("GET", f"/api/v1/projects?page={i % 50 + 1}"),
            ("GET", "/projects/?sort=newest&page=" + str(i % 40 + 1)),
            ("GET", "/bench/minimal/"),
            ("GET", "/healthz"),
            ("GET", "/" if i % 2 else "/en/"),
            ("GET", "/stats/"),
        ]
    return requests


def drive(port: int, requests: list[tuple], count: int, clients: int = 4) -> dict:
    """Send exactly ``count`` requests (rotating through ``requests``) from ``clients``
    threads; returns counts and the rate.

    A fixed count rather than wrk's fixed duration: wrk keeps idle connections open
    until its clock runs out once a budget is spent, and the sync worker, blocked on
    such a socket past its timeout, was replaced by gunicorn mid-measurement."""
    import http.client
    import threading
    import time

    counter = iter(range(count))
    lock = threading.Lock()
    got = {"requests": 0, "status_errors": 0, "socket_errors": 0}

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for n in counter:
            method, path = requests[n % len(requests)][:2]
            if path.startswith("/projects/?") and (n // 8) % 2 == 0:
                path += f"&bench={n}"  # half the directory requests miss the page cache
            try:
                conn.request(method, path)
                response = conn.getresponse()
                response.read()
                failed = "status_errors" if response.status >= 400 else None
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                failed = "socket_errors"
            with lock:
                got["requests"] += 1
                if failed:
                    got[failed] += 1
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    got["rps"] = round(got["requests"] / (time.perf_counter() - started), 1)
    return got


def _child() -> None:
    import django

    django.setup()
    from wrk_helpers import rss_mb, start_server, stop, worker_pids

    from projects.models import Project

    count = Project.objects.count()
    if count < 10_000:
        raise SystemExit(f"memory_bench needs seed_demo --size large (found {count} projects)")
    slugs = list(Project.objects.public().order_by("pk").values_list("slug", flat=True)[:500])
    requests = mixed(slugs)
    # No recycling, and a generous timeout: a worker killed for a slow request (on a
    # loaded machine) would end the measurement.
    server = start_server(
        database_url(), PORT, workers=1, extra=("--max-requests", "0", "--timeout", "300")
    )
    try:
        (worker,) = worker_pids(server.pid)
        drive(PORT, requests, 300)
        start = rss_mb(worker)
        got = {"requests": 0, "status_errors": 0, "socket_errors": 0}
        samples, seconds = [], 0.0
        for _ in range(10):  # RSS after every tenth: flat, or a leak's slope
            part = drive(PORT, requests, REQUESTS // 10)
            for key in got:
                got[key] += part[key]
            seconds += part["requests"] / part["rps"]
            samples.append(rss_mb(worker))
        got["rps"] = round(got["requests"] / seconds, 1)
        if worker_pids(server.pid) != [worker]:
            raise SystemExit(
                "memory bench: the gunicorn worker was replaced mid-run "
                "(killed for a slow request?); nothing to compare"
            )
        end = rss_mb(worker)
    finally:
        stop(server)
    if got["socket_errors"]:
        raise SystemExit(f"memory bench: {got}")
    how = (
        f"{got['requests']} mixed requests (8 kinds over {len(slugs)} projects) at "
        f"{got['rps']} req/s, 1 gunicorn sync worker, {count} projects, "
        f"{database_url().rsplit('/', 1)[1]}; {got['status_errors']} non-2xx answers; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(
        json.dumps(
            {
                "memory_worker_rss_start_mb": {
                    "value": start,
                    "unit": "MB",
                    "baseline": None,
                    "note": f"RSS after 300 warm-up requests; {how}",
                },
                "memory_worker_rss_end_mb": {
                    "value": end,
                    "unit": "MB",
                    "baseline": start,
                    "note": f"RSS after the run, baseline = RSS at start (ratio ≈ 1: flat); RSS "
                    f"after each tenth of the run: {', '.join(map(str, samples))} MB; {how}",
                },
            }
        )
    )


if __name__ == "__main__":
    if "--child" in sys.argv:
        _child()
    else:
        from run import merge  # bench/run.py beside this file

        print(json.dumps(merge(run()), indent=2, ensure_ascii=False))
