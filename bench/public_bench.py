"""Public directory and open-data API under load (run by bench/run.py).

public_directory_p95_ms   p95 latency of /projects/ with filters (page cache bypassed),
                          baseline = the 100 ms target
public_api_projects_p95_ms  the same for /api/v1/projects
public_directory_cached_p95_ms  /projects/ answered from the anonymous page cache
public_directory_throughput / public_api_projects_throughput
                          requests per second, baseline = a minimal Django view served
                          the same way in the same run (ratio = share of the floor)

Needs data from ``seed_demo --size large`` (≥ 10,000 projects): point
``PUBLIC_BENCH_DATABASE_URL`` (default: ``DATABASE_URL`` / the dev database) at it; the
module refuses to run on fewer projects rather than report meaningless numbers. The
server is gunicorn with 2 sync workers on 127.0.0.1 (``PUBLIC_BENCH_PORT``, default
8131); the client keeps ``PUBLIC_BENCH_CONCURRENCY`` (default 4) keep-alive connections
busy for ``PUBLIC_BENCH_REQUESTS`` (default 300) requests per scenario.
"""

from __future__ import annotations

import http.client
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
PORT = int(os.environ.get("PUBLIC_BENCH_PORT", "8131"))
CONCURRENCY = int(os.environ.get("PUBLIC_BENCH_CONCURRENCY", "4"))
REQUESTS = int(os.environ.get("PUBLIC_BENCH_REQUESTS", "300"))
TARGET_MS = 100.0

DIRECTORY = [
    "/projects/?status=in_progress&sort=newest",
    "/projects/?q=" + quote("助老") + "&sort=newest",
    "/projects/?tier=funded_matched&progress=lt50",
    "/projects/?sort=raised",
    "/projects/?sort=random&page=7",
    "/projects/?accepting=on&org_type=social_service&sort=closest",
]
API = [
    "/api/v1/projects?status=in_progress",
    "/api/v1/projects?q=" + quote("助老"),
    "/api/v1/projects?tier=funded_matched&progress=lt50",
    "/api/v1/projects?sort=raised&page=3",
    "/api/v1/projects?sort=random&page_size=50",
    "/api/v1/projects?accepting=true&sort=closest",
]


def _database_url() -> str:
    return os.environ.get("PUBLIC_BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL", "")


def _project_count() -> int:
    from projects.models import Project

    return Project.objects.count()


def _start_server() -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.public_settings",
           "PYTHONPATH": str(ROOT), "DJANGO_READ_DOT_ENV": "0"}
    if _database_url():
        env["DATABASE_URL"] = _database_url()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "portal.wsgi:application", "--workers", "2",
         "--bind", f"127.0.0.1:{PORT}", "--log-level", "warning", "--keep-alive", "30",
         "--env", "DJANGO_SETTINGS_MODULE=bench.public_settings"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
            conn.request("GET", "/bench/minimal/")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise RuntimeError("gunicorn did not start: " + server.stderr.read().decode()[-2000:])


def _load(paths: list[str], *, bust_cache: bool) -> tuple[list[float], float]:
    """Latencies (ms) and wall time for REQUESTS requests over CONCURRENCY connections."""
    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(REQUESTS))
    errors: list[str] = []

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        for n in counter:
            path = paths[n % len(paths)]
            if bust_cache:
                path += ("&" if "?" in path else "?") + f"bench={n}"
            started = time.perf_counter()
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            elapsed = (time.perf_counter() - started) * 1000
            if response.status != 200:
                errors.append(f"{path}: {response.status}")
            with lock:
                latencies.append(elapsed)
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(CONCURRENCY)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} failed requests, e.g. {errors[:3]}")
    return latencies, wall


def _p95(values: list[float]) -> float:
    return round(statistics.quantiles(values, n=20)[18], 1)


def run() -> dict[str, dict]:
    count = _project_count()
    if count < 10_000:
        raise SystemExit(f"public_bench needs seed_demo --size large (found {count} projects)")
    server = _start_server()
    try:
        for paths in (DIRECTORY, API):  # warm both workers' caches and connections
            _load(paths[:2] * 4, bust_cache=True)
        floor_lat, floor_wall = _load(["/bench/minimal/"], bust_cache=False)
        dir_lat, dir_wall = _load(DIRECTORY, bust_cache=True)
        api_lat, api_wall = _load(API, bust_cache=True)
        cached_lat, _ = _load(DIRECTORY[:1], bust_cache=False)
    finally:
        server.terminate()
        server.wait(timeout=30)
    floor_rps = REQUESTS / floor_wall
    how = (f"gunicorn 2 sync workers on loopback, {CONCURRENCY} keep-alive clients, "
           f"{REQUESTS} requests, {count} projects, {_database_url() or 'dev database'}")
    return {
        "public_directory_p95_ms": {
            "value": _p95(dir_lat), "unit": "ms", "baseline": TARGET_MS,
            "note": f"/projects/ with filters and sorts, page cache bypassed; {how}"},
        "public_api_projects_p95_ms": {
            "value": _p95(api_lat), "unit": "ms", "baseline": TARGET_MS,
            "note": f"/api/v1/projects with filters and sorts; {how}"},
        "public_directory_cached_p95_ms": {
            "value": _p95(cached_lat), "unit": "ms", "baseline": TARGET_MS,
            "note": f"/projects/ served from the anonymous page cache; {how}"},
        "public_directory_throughput": {
            "value": round(REQUESTS / dir_wall, 1), "unit": "req/s",
            "baseline": round(floor_rps, 1),
            "note": f"uncached filtered directory vs a minimal Django view; {how}"},
        "public_api_projects_throughput": {
            "value": round(REQUESTS / api_wall, 1), "unit": "req/s",
            "baseline": round(floor_rps, 1),
            "note": f"API project list vs a minimal Django view; {how}"},
    }
