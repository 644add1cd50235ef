"""Public directory and open-data API under load (run by bench/run.py, ``make bench``).

Entries (value / baseline → ratio):

public_directory_p95_ms           client p95 of /projects/ over every sort (newest, most
                                  raised, closest to goal, ending soon, random) with
                                  filters, page cache bypassed / p95 of a minimal Django
                                  view served the same way in the same run
public_api_projects_p95_ms        the same for /api/v1/projects
public_directory_server_p95_ms    p95 of the time spent in Django per request (the
                                  ``Server-Timing`` header of bench/public_settings.py) /
                                  the 100 ms target
public_api_projects_server_p95_ms the same for the API
public_directory_cpu_p95_ms       p95 of the worker's CPU time per request (SQLite runs
public_api_projects_cpu_p95_ms    in the worker: this is the request's own cost, nearly
                                  independent of the machine's load) / 100 ms
public_directory_cached_p95_ms    /projects/ answered from the anonymous page cache /
                                  the minimal view's p95
public_directory_throughput       requests per second / the minimal view's (share of
public_api_projects_throughput    the framework floor)

Engines: every entry is measured twice, on the embedded SQLite (keys as above) and on
PostgreSQL (the same keys with ``_pg`` after the page name, e.g.
``public_directory_pg_server_p95_ms``). On PostgreSQL the ``cpu`` figures leave out the
database server's time: judge by ``server``.

Data: ``seed_demo --size large`` (10,012 projects, 50,038 donations), built by
``wrk_helpers.ensure_large_database`` the first time (about 2–3 minutes per engine) and
reused: SQLite file ``var/bench/public-large.sqlite3`` (``PUBLIC_BENCH_DATABASE_URL``),
PostgreSQL ``portal_ops_load`` shared with the load and memory benches
(``PUBLIC_BENCH_PG_DATABASE_URL``).

Server: gunicorn, 2 sync workers, 127.0.0.1:``PUBLIC_BENCH_PORT`` (8131). The client
keeps ``PUBLIC_BENCH_CONCURRENCY`` (default 2, one per worker, so latency is service
time and not queueing) keep-alive connections busy for ``PUBLIC_BENCH_REQUESTS``
(default 250) requests per scenario. The load average at the start and the end is
recorded in each note: on a shared machine compare the ``cpu`` figures.
"""

from __future__ import annotations

import http.client
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
PORT = int(os.environ.get("PUBLIC_BENCH_PORT", "8131"))
CONCURRENCY = int(os.environ.get("PUBLIC_BENCH_CONCURRENCY", "2"))
REQUESTS = int(os.environ.get("PUBLIC_BENCH_REQUESTS", "250"))
TARGET_MS = 100.0
DEFAULT_DB = ROOT / "var" / "bench" / "public-large.sqlite3"
PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/portal_ops_load"  # shared with load_bench

KEYWORD = quote("助老")
DIRECTORY = [
    "/projects/?status=in_progress&sort=newest",
    f"/projects/?q={KEYWORD}&sort=newest",
    "/projects/?tier=funded_matched&progress=lt50",
    "/projects/?sort=raised",
    "/projects/?category=A&sort=raised&page=3",
    "/projects/?sort=closest",
    "/projects/?accepting=on&org_type=social_service&sort=closest",
    "/projects/?sort=ending",
    "/projects/?progress=50to99&sort=ending",
    "/projects/?sort=random&page=7",
    f"/projects/?q={KEYWORD}&sort=random",
]
API = [
    "/api/v1/projects?status=in_progress",
    f"/api/v1/projects?q={KEYWORD}",
    "/api/v1/projects?tier=funded_matched&progress=lt50",
    "/api/v1/projects?sort=raised&page=3",
    "/api/v1/projects?sort=closest&accepting=true",
    "/api/v1/projects?sort=ending",
    "/api/v1/projects?sort=random&page_size=50",
    "/api/v1/projects?category=A&sort=raised",
]
TIMING = re.compile(r"(\w+);dur=([0-9.]+)")


def _databases() -> list[tuple[str, str]]:
    """(key suffix, URL): the embedded SQLite file and the PostgreSQL of production."""
    return [
        ("", os.environ.get("PUBLIC_BENCH_DATABASE_URL") or f"sqlite:///{DEFAULT_DB}"),
        ("_pg", os.environ.get("PUBLIC_BENCH_PG_DATABASE_URL") or PG_DEFAULT),
    ]


def _env(database_url: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "portal.settings.dev",
        "DJANGO_READ_DOT_ENV": "0",
    }


def _start_server(database_url: str) -> subprocess.Popen:
    env = {**_env(database_url), "DJANGO_SETTINGS_MODULE": "bench.public_settings"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "portal.wsgi:application",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--log-level",
            "warning",
            "--keep-alive",
            "30",
            "--env",
            "DJANGO_SETTINGS_MODULE=bench.public_settings",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
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


class Sample:
    def __init__(self):
        self.latency: list[float] = []
        self.app: list[float] = []
        self.cpu: list[float] = []
        self.wall = 0.0


def _load(paths: list[str], *, bust_cache: bool, requests: int = REQUESTS) -> Sample:
    """Latencies and server timings (ms) for ``requests`` requests over CONCURRENCY
    keep-alive connections."""
    sample = Sample()
    lock = threading.Lock()
    counter = iter(range(requests))
    errors: list[str] = []

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        for n in counter:
            path = paths[n % len(paths)]
            if bust_cache:
                path += ("&" if "?" in path else "?") + f"bench={n}-{time.time_ns()}"
            started = time.perf_counter()
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            elapsed = (time.perf_counter() - started) * 1000
            if response.status != 200:
                errors.append(f"{path}: {response.status}")
            timings = dict(TIMING.findall(response.getheader("Server-Timing", "")))
            with lock:
                sample.latency.append(elapsed)
                sample.app.append(float(timings.get("app", elapsed)))
                sample.cpu.append(float(timings.get("cpu", 0)))
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(CONCURRENCY)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sample.wall = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} failed requests, e.g. {errors[:3]}")
    return sample


def _p95(values: list[float]) -> float:
    return round(statistics.quantiles(values, n=20)[18], 1)


def _load_average() -> str:
    try:
        return "/".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        return "?"


def run() -> dict[str, dict]:
    from wrk_helpers import ensure_large_database

    out = {}
    for suffix, url in _databases():
        out.update(_measure(url, ensure_large_database(url), suffix))
    return out


def _measure(database_url: str, count: int, suffix: str) -> dict[str, dict]:
    load_before = _load_average()
    server = _start_server(database_url)
    try:
        for paths in (DIRECTORY, API):  # warm both workers (imports, caches, connections)
            _load(paths, bust_cache=True, requests=2 * len(paths))
        floor = _load(["/bench/minimal/"], bust_cache=False)
        directory = _load(DIRECTORY, bust_cache=True)
        api = _load(API, bust_cache=True)
        cached = _load(DIRECTORY[:1], bust_cache=False)
    finally:
        server.terminate()
        server.wait(timeout=30)
    floor_p95 = max(_p95(floor.latency), 0.1)
    floor_rps = REQUESTS / floor.wall
    engine = "PostgreSQL" if suffix else "SQLite"
    how = (
        f"{engine}; gunicorn 2 sync workers on loopback, {CONCURRENCY} keep-alive "
        f"clients, {REQUESTS} requests per scenario, {count} projects, "
        f"{database_url.rsplit('/', 1)[-1]}; load average {load_before} before, "
        f"{_load_average()} after on {os.cpu_count()} cores"
    )
    cpu_what = (
        "SQLite in-process, so queries included"
        if not suffix
        else "the PostgreSQL server's time is not included: compare server_p95"
    )
    out = {}
    for key, label, sample, paths in (
        ("public_directory", "/projects/", directory, DIRECTORY),
        ("public_api_projects", "/api/v1/projects", api, API),
    ):
        what = f"{label} over {len(paths)} filter/sort combinations, page cache bypassed"
        out[f"{key}{suffix}_p95_ms"] = {
            "value": _p95(sample.latency),
            "unit": "ms",
            "baseline": floor_p95,
            "note": f"client p95, {what}; baseline = minimal Django view p95; {how}",
        }
        out[f"{key}{suffix}_server_p95_ms"] = {
            "value": _p95(sample.app),
            "unit": "ms",
            "baseline": TARGET_MS,
            "note": f"time in Django (Server-Timing) p95, {what}; baseline = the 100 ms "
            f"target; {how}",
        }
        out[f"{key}{suffix}_cpu_p95_ms"] = {
            "value": _p95(sample.cpu),
            "unit": "ms",
            "baseline": TARGET_MS,
            "note": f"worker CPU per request p95 ({cpu_what}), {what}; baseline = the "
            f"100 ms target; {how}",
        }
        out[f"{key}{suffix}_throughput"] = {
            "value": round(REQUESTS / sample.wall, 1),
            "unit": "req/s",
            "baseline": round(floor_rps, 1),
            "note": f"{what} vs a minimal Django view; {how}",
        }
    out[f"public_directory{suffix}_cached_p95_ms"] = {
        "value": _p95(cached.latency),
        "unit": "ms",
        "baseline": floor_p95,
        "note": f"/projects/ served from the anonymous page cache; baseline = minimal "
        f"Django view p95; {how}",
    }
    return out
