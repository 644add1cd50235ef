"""Memory: one gunicorn worker's RSS before and after 10,000 mixed requests.

One sync worker (so every request lands in the process being measured; worker recycling
off: ``--max-requests 0``) against the large database (``MEMORY_BENCH_DATABASE_URL``,
default the load bench's ``portal_ops_load``). After 300 warm-up requests the worker's
RSS is read from ``/proc`` (``memory_worker_rss_start_mb``); wrk then sends
``MEMORY_BENCH_REQUESTS`` (default 10,000) requests mixing the home page, directory (half
cache-busted), project pages, the API, donate pages, statistics, the minimal view and
``/healthz``; the RSS is read again (``memory_worker_rss_end_mb``, baseline = start, so
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
    env = {**os.environ, "DATABASE_URL": database_url(), "PYTHONPATH": str(ROOT),
           "DJANGO_SETTINGS_MODULE": "bench.public_settings", "DJANGO_READ_DOT_ENV": "0"}
    # The large seed is kept between runs; bring its schema up to date first.
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT,
                   env=env, check=True)
    out = subprocess.run([sys.executable, __file__, "--child"], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=False)
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


def _child() -> None:
    import django

    django.setup()
    from wrk_helpers import rss_mb, start_server, stop, worker_pids
    from wrk_helpers import wrk as run_wrk

    from projects.models import Project

    count = Project.objects.count()
    if count < 10_000:
        raise SystemExit(f"memory_bench needs seed_demo --size large (found {count} projects)")
    slugs = list(Project.objects.public().order_by("pk").values_list("slug", flat=True)[:500])
    requests = mixed(slugs)
    # No recycling, and a generous timeout: a worker killed for a slow request (on a
    # loaded machine) would end the measurement.
    server = start_server(database_url(), PORT, workers=1,
                          extra=("--max-requests", "0", "--timeout", "300"))
    try:
        (worker,) = worker_pids(server.pid)
        run_wrk(PORT, requests, seconds=120, threads=1, connections=2, budget=300)
        start = rss_mb(worker)
        got = run_wrk(PORT, requests, seconds=600, threads=2, connections=4,
                      budget=REQUESTS // 2)
        if worker_pids(server.pid) != [worker]:
            raise SystemExit("memory bench: the gunicorn worker was replaced mid-run "
                             "(killed for a slow request?); nothing to compare")
        end = rss_mb(worker)
    finally:
        stop(server)
    if got["socket_errors"]:
        raise SystemExit(f"memory bench: {got}")
    how = (f"{got['requests']} mixed requests (8 kinds over {len(slugs)} projects) at "
           f"{got['rps']} req/s, 1 gunicorn sync worker, {count} projects, "
           f"{database_url().rsplit('/', 1)[1]}; {got['status_errors']} non-2xx answers; "
           f"load average {os.getloadavg()[0]:.1f}")
    print(json.dumps({
        "memory_worker_rss_start_mb": {
            "value": start, "unit": "MB", "baseline": None,
            "note": f"RSS after 300 warm-up requests; {how}"},
        "memory_worker_rss_end_mb": {
            "value": end, "unit": "MB", "baseline": start,
            "note": f"RSS after the run, baseline = RSS at start (ratio ≈ 1: flat); {how}"},
    }))


if __name__ == "__main__":
    if "--child" in sys.argv:
        _child()
    else:
        from run import merge  # bench/run.py beside this file

        print(json.dumps(merge(run()), indent=2, ensure_ascii=False))
