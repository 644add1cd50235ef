"""Site search and the directory's keyword box on the large demo data (run by bench/run.py).

Entries (value / baseline → ratio):

search_site_p95_ms              p95 of the time Django takes to answer ``/search/?q=…``
                                (the fixed queries of tests/portal/test_site_search.py,
                                the overview and a typed, paged list) / the 100 ms target
                                of issue #19
search_site_cpu_p95_ms          p95 of the CPU time the process spends per ``/search/``
                                request (SQLite runs in the process, so its queries
                                count; the load of other processes does not) / 100 ms
search_directory_keyword_p95_ms p95 of ``/projects/?q=…`` / p95 of ``/projects/`` without
                                a keyword, same run
search_site_queries             SQL queries of one ``/search/`` page with hits in four
                                types (no baseline: one count per type and one list per
                                type with hits, whatever the number of hits; the 1-vs-many
                                check is tests/portal/test_site_search.py)

Measured in one process with Django's test client (no HTTP server, no page cache: the
search page is never cached), anonymous, after one warm-up request per URL; each URL is
requested ``SEARCH_BENCH_REPS`` times (default 15), interleaved.

Data: ``seed_demo --size large`` (10,012 projects, 2,010 organizations), the SQLite file
shared with public_bench (``var/bench/public-large.sqlite3``, built once by
``wrk_helpers.ensure_large_database``); ``SEARCH_BENCH_DATABASE_URL`` points elsewhere,
e.g. ``postgres://postgres@127.0.0.1:5432/portal_ops_load`` for PostgreSQL.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
REPS = int(os.environ.get("SEARCH_BENCH_REPS", "15"))
TARGET_MS = 100.0
DEFAULT_DB = f"sqlite:///{ROOT / 'var' / 'bench' / 'public-large.sqlite3'}"
QUERIES = [
    "助老",
    "长者",
    "助餐",
    "儿童",
    "残障",
    "征集",
    "2026",
    "elderly",
    "youth",
    "夕阳红",
    "福田",
]
SITE = [f"/search/?q={quote(q)}" for q in QUERIES] + [
    f"/search/?q={quote('服务')}&type=project&page=3",
    f"/search/?q={quote('社区')}&category=1",
]
DIRECTORY = [f"/projects/?q={quote(q)}&sort=newest" for q in ("助老", "儿童", "夕阳红")]
DIRECTORY_BASELINE = ["/projects/?sort=newest", "/projects/?status=in_progress&sort=newest"]


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def _worker() -> dict:
    """Runs inside the child process, on the large database."""
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    urls = SITE + DIRECTORY + DIRECTORY_BASELINE
    for url in urls:  # warm-up: templates, translations, site root paths
        assert client.get(url).status_code == 200, url
    timings: dict[str, list[float]] = {url: [] for url in urls}
    cpu: dict[str, list[float]] = {url: [] for url in urls}
    for _ in range(REPS):
        for url in urls:
            start, start_cpu = time.perf_counter(), time.process_time()
            client.get(url)
            cpu[url].append((time.process_time() - start_cpu) * 1000)
            timings[url].append((time.perf_counter() - start) * 1000)

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        return len(ctx.captured_queries)

    return {
        "site": [t for url in SITE for t in timings[url]],
        "site_cpu": [t for url in SITE for t in cpu[url]],
        "slowest_cpu": max(SITE, key=lambda url: p95(cpu[url])),
        "directory": [t for url in DIRECTORY for t in timings[url]],
        "baseline": [t for url in DIRECTORY_BASELINE for t in timings[url]],
        "slowest": max(SITE, key=lambda url: p95(timings[url])),
        "queries": queries(f"/search/?q={quote('长者')}"),
    }


def run() -> dict[str, dict]:
    from wrk_helpers import ensure_large_database

    database_url = os.environ.get("SEARCH_BENCH_DATABASE_URL", DEFAULT_DB)
    projects = ensure_large_database(database_url)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "portal.settings.dev",
        "DJANGO_READ_DOT_ENV": "0",
        "EMAIL_URL": "dummymail://",
    }
    load = os.getloadavg()[0]
    out = subprocess.run(
        [sys.executable, __file__, "--worker"],
        cwd=ROOT,
        env=env,
        check=True,
        text=True,
        capture_output=True,
    ).stdout
    data = json.loads(out.strip().splitlines()[-1])
    where = f"{projects} projects, {database_url.split(':')[0]}, {REPS} reps, load {load:.1f}"
    site = p95(data["site"])
    site_cpu = p95(data["site_cpu"])
    directory = p95(data["directory"])
    baseline = p95(data["baseline"])
    return {
        "search_site_p95_ms": {
            "value": round(site, 1),
            "unit": "ms",
            "baseline": TARGET_MS,
            "note": f"/search/ over {len(SITE)} queries (slowest {data['slowest']}); {where}",
        },
        "search_site_cpu_p95_ms": {
            "value": round(site_cpu, 1),
            "unit": "ms",
            "baseline": TARGET_MS,
            "note": (
                f"CPU time of the process per /search/ request (SQLite runs in it, so its "
                f"queries count; other processes' load does not), slowest "
                f"{data['slowest_cpu']}; {where}"
            ),
        },
        "search_directory_keyword_p95_ms": {
            "value": round(directory, 1),
            "unit": "ms",
            "baseline": round(baseline, 1),
            "note": f"/projects/?q= vs /projects/ without keyword; {where}",
        },
        "search_site_queries": {
            "value": data["queries"],
            "unit": "queries",
            "baseline": None,
            "note": "/search/?q=长者: six counts, one list per type with hits, page chrome",
        },
    }


if __name__ == "__main__":
    if sys.argv[1:] == ["--worker"]:
        print(json.dumps(_worker()))
    else:
        print(json.dumps(run(), indent=2, ensure_ascii=False))
