"""Funding: 16 workers confirming donations against one hot match pool on PostgreSQL.

``run()`` (called by ``bench/run.py``) re-runs this file in a child process pointed at its
own PostgreSQL database (``FUNDING_BENCH_DATABASE_URL``, default
``postgres://postgres@127.0.0.1:5432/portal_bench_funding``, created and migrated if
missing), because the race is only meaningful with real row locks.

Measured: donations/s for the full service path (create → ``reserve_match`` →
``mark_succeeded``: row locks, ledger postings, receipt, audit) with 16 threads racing for
a pool holding 60 % of demand; baseline: the same row writes and locks in hand-written SQL
(psycopg, 16 threads). Both must end with the pool at exactly zero, never below.
Running this file directly also merges the entries into ``bench/results.json``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from wrk_helpers import create_postgres_database, run_threads  # bench/ is sys.path[0]

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/portal_bench_funding"
WORKERS = int(os.environ.get("FUNDING_BENCH_WORKERS", "16"))
PER_WORKER = int(os.environ.get("FUNDING_BENCH_PER_WORKER", "25"))
AMOUNT = 10_000


def run() -> dict:
    url = os.environ.get("FUNDING_BENCH_DATABASE_URL", DEFAULT_URL)
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


def _orm_race(tag: str) -> dict:
    from datetime import timedelta

    from django.utils import timezone
    from wagtail.models import Page

    from funding.enums import DonationSource, MatchingMode
    from funding.models import Donation, MatchingRule, MatchPool, Sponsor
    from funding.services.donations import mark_succeeded
    from funding.services.matching import pool_available, reserve_match
    from funding.services.pools import top_up_pool
    from organizations.models import Organization
    from projects.enums import ProjectStatus, ProjectTier
    from projects.models import CallPage, Project

    now = timezone.now()
    call = CallPage(
        title=f"bench {tag}",
        slug=f"bench-{tag}",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=1),
    )
    Page.get_first_root_node().add_child(instance=call)
    MatchingRule.objects.create(
        call=call,
        mode=MatchingMode.LIVE,
        campaign_starts_at=now - timedelta(days=1),
        campaign_ends_at=now + timedelta(days=1),
    )
    from tests.factories.organizations import OrganizationFactory, make_credit_code

    code = make_credit_code(int(tag) % 10_000_000)
    org = Organization.objects.filter(credit_code=code).first() or OrganizationFactory(
        name=f"bench {tag}", slug=f"bench-{tag}", credit_code=code
    )
    projects = [
        Project.objects.create(
            organization=org,
            call=call,
            slug=f"bench-{tag}-{i}",
            title=f"bench {i}",
            tier=ProjectTier.FUNDED_MATCHED,
            status=ProjectStatus.IN_PROGRESS,  # agreement signed: takes money
        )
        for i in range(WORKERS)
    ]
    demand = WORKERS * PER_WORKER * AMOUNT
    pool_size = demand * 6 // 10
    sponsor, _ = Sponsor.objects.get_or_create(name="bench sponsor", defaults={"kind": "company"})
    pool = MatchPool.objects.create(
        sponsor=sponsor, name=f"hot {tag}", priority=1, ends_at=now + timedelta(days=1)
    )
    pool.calls.add(call)
    top_up_pool(pool=pool, amount=pool_size, key="bench")

    def worker(i):
        for _ in range(PER_WORKER):
            donation = Donation.objects.create(
                project=projects[i], amount=AMOUNT, source=DonationSource.STRIPE
            )
            reserve_match(donation=donation)
            mark_succeeded(donation=donation, amount_received=AMOUNT, currency="CNY")

    elapsed, errors = run_threads(WORKERS, worker)
    return {
        "elapsed": elapsed,
        "errors": errors,
        "left": pool_available(pool),
        "pool": pool_size,
        "demand": demand,
    }


RAW_SCHEMA = """
DROP TABLE IF EXISTS bench_entry, bench_txn, bench_reservation, bench_donation, bench_pool;
CREATE TABLE bench_pool (id serial PRIMARY KEY);
CREATE TABLE bench_donation (id bigserial PRIMARY KEY, amount bigint NOT NULL,
  status text NOT NULL);
CREATE TABLE bench_txn (id bigserial PRIMARY KEY, kind text NOT NULL, key text UNIQUE NOT NULL);
CREATE TABLE bench_entry (id bigserial PRIMARY KEY, txn_id bigint REFERENCES bench_txn,
  account text NOT NULL, amount bigint NOT NULL CHECK (amount <> 0));
CREATE INDEX bench_entry_acct ON bench_entry (account, amount);
CREATE TABLE bench_reservation (id bigserial PRIMARY KEY, donation_id bigint, pool_id int,
  amount bigint, status text);
"""


def _raw_race() -> dict:
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    dsn = f"host={db['HOST']} port={db['PORT'] or 5432} user={db['USER']} dbname={db['NAME']}" + (
        f" password={db['PASSWORD']}" if db["PASSWORD"] else ""
    )
    demand = WORKERS * PER_WORKER * AMOUNT
    pool_size = demand * 6 // 10
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(RAW_SCHEMA)
        pool_id = conn.execute("INSERT INTO bench_pool DEFAULT VALUES RETURNING id").fetchone()[0]
        txn = conn.execute(
            "INSERT INTO bench_txn (kind, key) VALUES ('topup', 'topup') RETURNING id"
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO bench_entry (txn_id, account, amount) VALUES (%s, 'sponsor', "
            "%s), (%s, 'pool', %s)",
            [txn, -pool_size, txn, pool_size],
        )

    def post(cur, kind, key, legs):
        tid = cur.execute(
            "INSERT INTO bench_txn (kind, key) VALUES (%s, %s) RETURNING id", [kind, key]
        ).fetchone()[0]
        with cur.cursor() as c:
            c.executemany(
                "INSERT INTO bench_entry (txn_id, account, amount) VALUES (%s, %s, %s)",
                [(tid, a, amt) for a, amt in legs],
            )

    def worker(i):
        with psycopg.connect(dsn) as conn:
            for _ in range(PER_WORKER):
                with conn.transaction():
                    did = conn.execute(
                        "INSERT INTO bench_donation (amount, status) VALUES "
                        "(%s, 'pending') RETURNING id",
                        [AMOUNT],
                    ).fetchone()[0]
                with conn.transaction():
                    conn.execute("SELECT id FROM bench_pool WHERE id=%s FOR UPDATE", [pool_id])
                    left = conn.execute(
                        "SELECT COALESCE(SUM(amount), 0) FROM bench_entry WHERE account='pool'"
                    ).fetchone()[0]
                    match = min(left, AMOUNT)
                    rid = None
                    if match > 0:
                        rid = conn.execute(
                            "INSERT INTO bench_reservation (donation_id, pool_id, amount, status)"
                            " VALUES (%s, %s, %s, 'held') RETURNING id",
                            [did, pool_id, match],
                        ).fetchone()[0]
                        post(
                            conn,
                            "reserve",
                            f"reserve:{rid}",
                            [("pool", -match), ("reserved", match)],
                        )
                with conn.transaction():
                    conn.execute("SELECT id FROM bench_donation WHERE id=%s FOR UPDATE", [did])
                    conn.execute("UPDATE bench_donation SET status='succeeded' WHERE id=%s", [did])
                    post(
                        conn,
                        "donation",
                        f"donation:{did}",
                        [("clearing", -AMOUNT), (f"project:{i}", AMOUNT)],
                    )
                    if rid:
                        conn.execute(
                            "SELECT id FROM bench_reservation WHERE id=%s FOR UPDATE", [rid]
                        )
                        post(
                            conn,
                            "confirm",
                            f"confirm:{rid}",
                            [("reserved", -match), (f"project:{i}", match)],
                        )
                        conn.execute(
                            "UPDATE bench_reservation SET status='confirmed' WHERE id=%s", [rid]
                        )

    elapsed, errors = run_threads(WORKERS, worker)
    with psycopg.connect(dsn, autocommit=True) as conn:
        left = conn.execute(
            "SELECT COALESCE(SUM(amount), 0) FROM bench_entry WHERE account='pool'"
        ).fetchone()[0]
        conn.execute(
            "DROP TABLE bench_entry, bench_txn, bench_reservation, bench_donation, bench_pool"
        )
    return {"elapsed": elapsed, "errors": errors, "left": int(left), "pool": pool_size}


def _child() -> None:
    import django

    create_postgres_database(os.environ["DATABASE_URL"])
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    tag = str(int(time.time()))
    orm = _orm_race(tag)
    raw = _raw_race()
    from funding.services.reconcile import reconcile

    report = reconcile()
    n = WORKERS * PER_WORKER
    orm_rate = round(n / orm["elapsed"], 1)
    raw_rate = round(n / raw["elapsed"], 1)
    ok = (
        not orm["errors"]
        and not raw["errors"]
        and orm["left"] == 0
        and raw["left"] == 0
        and report.ok
    )
    note = (
        f"{WORKERS} threads x {PER_WORKER} donations of ¥{AMOUNT // 100} on PostgreSQL, one "
        f"hot pool holding 60% of demand; pool left {orm['left']} fen (raw {raw['left']}),"
        f" errors {len(orm['errors'])}/{len(raw['errors'])}, reconcile "
        f"{'OK' if report.ok else 'FAILED'}; baseline = same locks and row writes in raw "
        f"SQL (psycopg)"
    )
    result = {
        "funding_race_confirmations": {
            "value": orm_rate,
            "unit": "donations/s",
            "baseline": raw_rate,
            "ratio": round(orm_rate / raw_rate, 3) if raw_rate else None,
            "note": note,
        },
        "funding_race_overdraw": {
            "value": 0 if ok else max(-orm["left"], -raw["left"], 1),
            "unit": "fen",
            "baseline": 0,
            "ratio": None,
            "note": "fen below zero across both runs (must be 0); "
            + ("all checks passed" if ok else f"FAILED: {orm['errors'][:2]}"),
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
