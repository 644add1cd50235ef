"""Funding: a Stripe webhook storm on PostgreSQL (issue #9).

10,000 deliveries (``FUNDING_STORM_EVENTS``) signed with the real Stripe HMAC scheme:
30 % duplicates, 5 % bad signatures, shuffled, posted to ``/funding/stripe/webhook/``
through Django's test client by ``FUNDING_STORM_WORKERS`` threads (default 4). Checked:
every good gift counted exactly once (with its refund), forged gifts untouched, every bad
delivery answered 400, ``reconcile`` clean. Baseline: the same number of minimal signed
no-op events (an ignored type: signature check + the unique event-id insert only),
delivered the same way in the same run.

Runs in a child process against its own database (``FUNDING_STORM_DATABASE_URL``,
default ``postgres://postgres@127.0.0.1:5432/portal_bench_storm``, created and migrated if
missing). Running this file directly also merges the entries into ``bench/results.json``.
Event generation and checks live in ``tests/funding/storm.py`` (shared with the 300-event
CI test ``tests/funding/test_webhook_storm.py``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/portal_bench_storm"
EVENTS = int(os.environ.get("FUNDING_STORM_EVENTS", "10000"))
WORKERS = int(os.environ.get("FUNDING_STORM_WORKERS", "4"))


def run() -> dict:
    url = os.environ.get("FUNDING_STORM_DATABASE_URL", DEFAULT_URL)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
    }
    out = subprocess.run(
        [sys.executable, __file__, "--child"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname=%s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _child() -> None:
    import django

    if os.environ["DATABASE_URL"].startswith("postgres"):
        _ensure_database(os.environ["DATABASE_URL"])
    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from tests.funding.storm import (
        WEBHOOK_SECRET,
        build,
        deliver,
        noop_deliveries,
        setup_gifts,
        verify,
    )

    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    call_command("migrate", verbosity=0)
    tag = f"storm{int(time.time())}"
    storm = build(EVENTS, lambda count: setup_gifts(count, tag=tag), seed=11, tag=tag)
    elapsed, counts = deliver(storm.deliveries, workers=WORKERS)
    problems = verify(storm)
    bad = sum(1 for *_x, kind in storm.deliveries if kind == "bad")
    if counts.get(("bad", 400)) != bad:
        problems.append(f"bad deliveries answered {counts}")
    if counts.get(("good", 200), 0) + counts.get(("dup", 200), 0) != EVENTS - bad:
        problems.append(f"good deliveries answered {counts}")
    noop = noop_deliveries(EVENTS, tag=f"{tag}noop")
    base_elapsed, base_counts = deliver(noop, workers=WORKERS)
    rate = round(EVENTS / elapsed, 1)
    base_rate = round(EVENTS / base_elapsed, 1)
    note = (
        f"{EVENTS} deliveries ({storm.unique_events} unique good: "
        f"{len(storm.donations)} checkout.session.completed + {len(storm.refunds)} "
        f"charge.refunded; {EVENTS * 30 // 100} duplicates; {bad} bad signatures), "
        f"shuffled, {WORKERS} threads, Django test client, PostgreSQL; live matching "
        f"against one pool holding half the demand; "
        + (
            "every good gift counted once, bad ones 400, reconcile OK"
            if not problems
            else f"FAILED: {problems[:3]}"
        )
        + f"; baseline = {EVENTS} signed no-op events the same way "
        f"({base_counts.get(('good', 200), 0)} answered 200)"
    )
    result = {
        "funding_webhook_storm": {
            "value": rate,
            "unit": "events/s",
            "baseline": base_rate,
            "ratio": round(rate / base_rate, 3) if base_rate else None,
            "note": note,
        },
        "funding_webhook_storm_errors": {
            "value": len(problems),
            "unit": "problems",
            "baseline": 0,
            "ratio": None,
            "note": "double counts, lost gifts, accepted bad signatures or reconcile "
            "discrepancies (must be 0)",
        },
    }
    print(json.dumps(result))


if __name__ == "__main__":
    if "--child" in sys.argv:
        _child()
    else:
        sys.path.insert(0, str(ROOT / "bench"))
        from run import merge  # bench/run.py beside this file

        entries = run()
        merge(entries)
        print(json.dumps(entries, indent=2, ensure_ascii=False))
