"""Giving day: does the per-gift cost stay flat as a hot match pool's history grows?

``run()`` (called by ``bench/run.py``) re-runs this file in a child process once on
PostgreSQL (``GIVINGDAY_BENCH_DATABASE_URL``, default
``postgres://postgres@127.0.0.1:5432/portal_bench_givingday``, created and migrated if
missing) and once on a fresh SQLite file, each with ``portal.settings.test``.

``givingday_cost_growth`` (per database): two live pools, each matching its own call's
project; the *hot* pool's two ledger accounts get ``GIVINGDAY_HISTORY`` (200,000)
entries, the *cold* pool's 1,000, bulk-inserted directly as balanced reserve/release
pairs (then ``rebuild_pool_balances``). Gifts to the two projects are then applied
alternately (so both see the same machine load): each is the money path of one gift —
the checkout's ``reserve_match`` (caps per project, per donor and per day set) and the
provider's *paid* event through ``apply_payment_event`` in one transaction, as the
inbox applies it. value = mean ms per gift on the hot pool, baseline = the same on the
cold pool; target ratio ≤ 1.2. The note also gives what the old per-gift read
(``SUM(amount)`` over the pool's available account) costs on each pool, and the final
``reconcile``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/portal_bench_givingday"
HISTORY = int(os.environ.get("GIVINGDAY_HISTORY", "200000"))
SMALL_HISTORY = int(os.environ.get("GIVINGDAY_SMALL_HISTORY", "1000"))
GIFTS = int(os.environ.get("GIVINGDAY_GIFTS", "150"))
AMOUNT = 10_000


def run() -> dict:
    results = {}
    pg_url = os.environ.get("GIVINGDAY_BENCH_DATABASE_URL", DEFAULT_PG)
    results.update(_in_child(pg_url, "postgresql"))
    with tempfile.TemporaryDirectory() as tmp:
        results.update(_in_child(f"sqlite:///{tmp}/givingday.sqlite3", "sqlite"))
    return results


def _in_child(url: str, label: str) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "GIVINGDAY_LABEL": label,
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
    if not url.startswith("postgres"):
        return
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname=%s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _setup(tag: str):
    """Two calls, each with a live rule (all caps set, never reached), one funded
    project and one pool of ample size. Returns ``[(project, pool), (project, pool)]``."""
    from datetime import timedelta

    from django.utils import timezone
    from wagtail.models import Page

    from funding.enums import MatchingMode
    from funding.models import MatchingRule, MatchPool, Sponsor
    from funding.services.pools import top_up_pool
    from projects.enums import ProjectTier
    from projects.models import CallPage, Project
    from tests.factories.organizations import OrganizationFactory, make_credit_code

    now = timezone.now()
    org = OrganizationFactory(
        name=f"bench {tag}", slug=f"bench-{tag}", credit_code=make_credit_code(int(tag) % 10**7)
    )
    sponsor, _ = Sponsor.objects.get_or_create(name="bench sponsor", defaults={"kind": "company"})
    pairs = []
    for side in ("hot", "cold"):
        call = CallPage(
            title=f"bench {tag} {side}",
            slug=f"bench-{tag}-{side}",
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=1),
        )
        Page.get_first_root_node().add_child(instance=call)
        MatchingRule.objects.create(
            call=call,
            mode=MatchingMode.LIVE,
            campaign_starts_at=now - timedelta(days=1),
            campaign_ends_at=now + timedelta(days=1),
            cap_per_project=10**12,
            cap_per_donor_project=10**12,
            cap_per_day=10**12,
        )
        project = Project.objects.create(
            organization=org,
            call=call,
            slug=f"bench-{tag}-{side}",
            title=f"bench {side}",
            tier=ProjectTier.FUNDED_MATCHED,
        )
        pool = MatchPool.objects.create(
            sponsor=sponsor, name=f"{side} {tag}", priority=1, ends_at=now + timedelta(days=1)
        )
        pool.calls.add(call)
        top_up_pool(pool=pool, amount=10**11, key="bench")
        pairs.append((project, pool))
    return pairs


def _history(pool, entries: int) -> None:
    """Bulk-insert ``entries`` entries on the pool's accounts as balanced reserve/release
    pairs (each transaction: one entry on each of the pool's two accounts)."""
    from funding.enums import TransactionKind
    from funding.models import Entry, LedgerTransaction
    from funding.services.ledger import pool_accounts

    available, reserved = pool_accounts(pool)
    cur = pool.currency
    txns = entries // 2
    step = 5_000
    for start in range(0, txns, step):
        batch = [
            LedgerTransaction(
                kind=TransactionKind.MATCH_RESERVE if i % 2 == 0 else TransactionKind.MATCH_RELEASE,
                idempotency_key=f"bench-history:{pool.pk}:{i}",
                currency=pool.currency,
                pool=pool,
            )
            for i in range(start, min(start + step, txns))
        ]
        LedgerTransaction.objects.bulk_create(batch)
        rows = []
        for txn in batch:
            sign = 1 if txn.kind == TransactionKind.MATCH_RESERVE else -1
            rows.append(Entry(transaction=txn, account=available, amount=-sign * 100, currency=cur))
            rows.append(Entry(transaction=txn, account=reserved, amount=sign * 100, currency=cur))
        Entry.objects.bulk_create(rows)


def _apply_one(project, n: int) -> float:
    from django.db import transaction
    from django.utils import timezone

    from funding.enums import DonationSource
    from funding.models import Donation
    from funding.providers.base import PaymentEvent, PaymentEventKind
    from funding.services.matching import reserve_match
    from funding.services.payments import apply_payment_event

    gift = Donation.objects.create(
        project=project,
        amount=AMOUNT,
        source=DonationSource.STRIPE,
        external_id=f"cs_bench_{project.pk}_{n}",
        donor_email=f"d{n % 50}@example.org",
    )
    event = PaymentEvent(
        kind=PaymentEventKind.PAID,
        checkout_id=gift.external_id,
        transaction_id=f"pi_bench_{project.pk}_{n}",
        donation_id=gift.pk,
        amount=AMOUNT,
        currency="CNY",
    )
    started = time.perf_counter()
    reserve_match(donation=gift)
    with transaction.atomic():
        applied, outcome = apply_payment_event(source=gift.source, event=event, at=timezone.now())
    elapsed = time.perf_counter() - started
    if not applied:
        raise RuntimeError(f"gift {gift.pk} not applied: {outcome}")
    return elapsed


def _old_sum_ms(pool) -> float:
    """What the old hot path read per gift: SUM over the pool's available account."""
    from funding.services.ledger import balance, pool_accounts

    account = pool_accounts(pool)[0]
    times = []
    for _ in range(15):
        started = time.perf_counter()
        balance(account)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def _child() -> None:
    import django

    _ensure_database(os.environ["DATABASE_URL"])
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    label = os.environ.get("GIVINGDAY_LABEL", connection.vendor)
    from funding.models import Entry
    from funding.services.balances import rebuild_pool_balances
    from funding.services.reconcile import reconcile

    tag = str(int(time.time()))
    (hot_project, hot_pool), (cold_project, cold_pool) = _setup(tag)
    started = time.perf_counter()
    _history(hot_pool, HISTORY)
    _history(cold_pool, SMALL_HISTORY)
    rebuild_pool_balances([hot_pool.pk, cold_pool.pk])
    setup_s = time.perf_counter() - started
    hot_entries = Entry.objects.filter(account__pool=hot_pool).count()
    cold_entries = Entry.objects.filter(account__pool=cold_pool).count()

    for n in range(10):  # warm up: caches, first balance rows, query plans
        _apply_one(hot_project, -1 - n)
        _apply_one(cold_project, -1 - n)
    hot, cold = [], []
    for n in range(GIFTS):
        hot.append(_apply_one(hot_project, n))
        cold.append(_apply_one(cold_project, n))
    hot_ms = statistics.fmean(hot) * 1000
    cold_ms = statistics.fmean(cold) * 1000
    old_hot, old_cold = _old_sum_ms(hot_pool), _old_sum_ms(cold_pool)
    report = reconcile()
    note = (
        f"{label}: mean ms per gift (checkout hold + paid event applied in one transaction) "
        f"on a pool with {hot_entries:,} ledger entries / on one with {cold_entries:,}, "
        f"{GIFTS} gifts each, interleaved; medians {statistics.median(hot) * 1000:.1f} / "
        f"{statistics.median(cold) * 1000:.1f} ms. The old per-gift read (SUM over the "
        f"pool's available account) takes {old_hot:.1f} / {old_cold:.2f} ms on these pools. "
        f"History bulk-inserted in {setup_s:.0f} s; reconcile "
        f"{'OK' if report.ok else 'FAILED: ' + '; '.join(report.problems[:3])}. Target ≤ 1.2."
    )
    key = "givingday_cost_growth" + ("" if label == "postgresql" else f"_{label}")
    print(
        json.dumps(
            {
                key: {
                    "value": round(hot_ms, 2),
                    "unit": "ms/gift",
                    "baseline": round(cold_ms, 2),
                    "ratio": round(hot_ms / cold_ms, 3),
                    "note": note,
                }
            }
        )
    )


if __name__ == "__main__":
    if "--child" in sys.argv:
        _child()
    else:
        sys.path.insert(0, str(ROOT / "bench"))
        from run import merge  # bench/run.py beside this file

        entries = run()
        merge(entries)
        print(json.dumps(entries, indent=2, ensure_ascii=False))
