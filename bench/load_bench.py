"""HTTP load with wrk against gunicorn (2 sync workers, loopback) on a large database.

Scenarios (each ``LOAD_BENCH_SECONDS``, default 10 s, ``LOAD_BENCH_CONNECTIONS`` (4)
keep-alive connections on 2 wrk threads):

- ``minimal``: a view returning two bytes through the whole middleware stack
  (``bench/public_urls.py``) — the floor every other figure is divided by;
- ``directory``: ``/projects/`` with filters and sorts; page cache bypassed;
- ``project``: project pages (2,000 different public projects; cache bypassed);
- ``api``: ``/api/v1/projects`` lists with filters;
- ``donate``: the donate page of a project (GET; the start of every gift);
- ``webhook``: signed ``checkout.session.completed`` events for fresh pending checkouts
  (each delivered once, in order; the full confirmation path: row locks, ledger,
  matching, receipt record).

For each: throughput (req/s) with the minimal view's req/s as baseline, and p50/p95/p99
(ms) with the minimal view's percentile as baseline. Needs ``seed_demo --size large``
(≥ 10,000 projects) in ``LOAD_BENCH_DATABASE_URL`` (default
``postgres://postgres@127.0.0.1:5432/portal_ops_load``; created and seeded the first
time, about 3 minutes; a smaller non-empty database is refused).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/portal_ops_load"
SECONDS = int(os.environ.get("LOAD_BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("LOAD_BENCH_CONNECTIONS", "4"))
PORT = int(os.environ.get("LOAD_BENCH_PORT", "8141"))

DIRECTORY = [
    "/projects/?status=in_progress&sort=newest",
    "/projects/?q=" + quote("助老") + "&sort=newest",
    "/projects/?tier=funded_matched&progress=lt50",
    "/projects/?sort=raised",
    "/projects/?sort=random&page=7",
    "/en/projects/?accepting=on&sort=closest",
]
API = [
    "/api/v1/projects?status=in_progress",
    "/api/v1/projects?q=" + quote("助老"),
    "/api/v1/projects?tier=funded_matched&progress=lt50",
    "/api/v1/projects?sort=raised&page=3",
    "/api/v1/projects?accepting=true&sort=closest",
]


def database_url() -> str:
    return os.environ.get("LOAD_BENCH_DATABASE_URL", DEFAULT_URL)


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


def scenarios(slugs: list[str], events: list[tuple]) -> dict[str, dict]:
    return {
        "minimal": {"requests": [("GET", "/bench/minimal/")], "bust": False},
        "directory": {"requests": [("GET", p) for p in DIRECTORY], "bust": True},
        "project": {"requests": [("GET", f"/projects/{quote(s)}/") for s in slugs], "bust": True},
        "api": {"requests": [("GET", p) for p in API], "bust": True},
        "donate": {"requests": [("GET", f"/donate/{quote(s)}/") for s in slugs], "bust": False},
        "webhook": {"requests": events, "bust": False},
    }


def _child() -> None:
    import django

    django.setup()
    from django.db.models import Count
    from wrk_helpers import pending_stripe_donations, signed_event_request, start_server, stop
    from wrk_helpers import wrk as run_wrk

    from funding.enums import DonationStatus, TransactionKind
    from funding.models import Donation, LedgerTransaction
    from projects.models import Project

    count = Project.objects.count()
    if count < 10_000:
        raise SystemExit(f"load_bench needs seed_demo --size large (found {count} projects)")
    public = list(Project.objects.public().order_by("pk").values_list("pk", "slug")[:2000])
    slugs = [slug for _, slug in public]
    projects = list(Project.objects.filter(pk__in=[pk for pk, _ in public[:200]]))
    tag = f"load{int(time.time())}"
    # More than wrk can deliver in the time: every delivery is a first delivery.
    rows = pending_stripe_donations(int(os.environ.get("LOAD_BENCH_EVENTS", "6000")), projects, tag)
    events = [signed_event_request(*row) for row in rows]

    server = start_server(database_url(), PORT, workers=2)
    results = {}
    try:
        for name, spec in scenarios(slugs, events).items():
            # warm both workers (imports, connections, template caches); not for webhooks
            if name != "webhook":
                run_wrk(
                    PORT, spec["requests"], seconds=2, bust=spec["bust"], connections=CONNECTIONS
                )
            # Webhooks: each wrk thread walks its own half of the events, at most once.
            budget = len(events) // 2 - 1 if name == "webhook" else 0
            results[name] = run_wrk(
                PORT,
                spec["requests"],
                seconds=SECONDS,
                bust=spec["bust"],
                connections=CONNECTIONS,
                budget=budget,
            )
    finally:
        stop(server)

    ids = [row[0] for row in rows]
    succeeded = Donation.objects.filter(pk__in=ids, status=DonationStatus.SUCCEEDED).count()
    posted = (
        LedgerTransaction.objects.filter(kind=TransactionKind.DONATION, donation_id__in=ids)
        .values("donation_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    hook = results["webhook"]
    # wrk counts answers it read before its clock ran out; up to one request per
    # connection was still being processed then (and confirmed).
    if (
        hook["status_errors"]
        or posted
        or not hook["requests"] <= succeeded <= hook["requests"] + CONNECTIONS
    ):
        raise SystemExit(f"webhook scenario: {hook}, succeeded {succeeded}, double-posted {posted}")
    floor = results["minimal"]
    load = os.getloadavg()[0]
    how = (
        f"wrk 2 threads × {CONNECTIONS} connections, {SECONDS} s per scenario, gunicorn 2 "
        f"sync workers on loopback, {count} projects, "
        f"{database_url().rsplit('/', 1)[1]}; load average {load:.1f} on "
        f"{os.cpu_count()} cores"
    )
    what = {
        "directory": "/projects/ with filters and sorts, page cache bypassed",
        "project": "project pages (2,000 projects), page cache bypassed",
        "api": "/api/v1/projects with filters",
        "donate": "GET the donate page of a project",
        "webhook": f"signed checkout.session.completed, each a first delivery "
        f"({succeeded} gifts confirmed, none twice)",
    }
    entries = {
        "load_minimal_rps": {
            "value": floor["rps"],
            "unit": "req/s",
            "baseline": None,
            "note": f"minimal Django view (p50 {floor['p50']} / p95 {floor['p95']} / "
            f"p99 {floor['p99']} ms); {how}",
        },
    }
    for name, label in what.items():
        got = results[name]
        if got["socket_errors"]:
            raise SystemExit(f"{name}: {got}")
        # Non-2xx answers are reported, not hidden (e.g. a page that fails for some
        # projects); the webhook scenario above is strict.
        errors = (
            f"{got['status_errors']} of {got['requests']} answers not 2xx/3xx"
            if got["status_errors"]
            else f"{got['requests']} requests, all 2xx/3xx"
        )
        entries[f"load_{name}_rps"] = {
            "value": got["rps"],
            "unit": "req/s",
            "baseline": floor["rps"],
            "note": f"{label}; ratio = share of the minimal view's throughput; {errors}; {how}",
        }
        for pct in ("p50", "p95", "p99"):
            entries[f"load_{name}_{pct}_ms"] = {
                "value": got[pct],
                "unit": "ms",
                "baseline": floor[pct],
                "note": f"{label}; baseline = the minimal view's {pct}; {how}",
            }
    print(json.dumps(entries))


if __name__ == "__main__":
    if "--child" in sys.argv:
        _child()
    else:
        from run import merge  # bench/run.py beside this file

        print(json.dumps(merge(run()), indent=2, ensure_ascii=False))
