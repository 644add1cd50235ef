"""Real-thread races on PostgreSQL (collected only there; see tests/funding/conftest.py)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from funding.enums import ReservationStatus
from funding.models import InboundEvent, MatchCapUsage, MatchReservation
from funding.services.donations import mark_failed, mark_succeeded, record_refund
from funding.services.inbox import process_inbox
from funding.services.matching import expire_reservations, pool_available, reserve_match
from funding.services.reconcile import reconcile
from tests.factories.funding import (
    DonationFactory,
    MatchedProjectFactory,
    MatchingRuleFactory,
    funded_pool,
)

from .threads import run_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKERS = 12


def test_reserve_match_race_never_overdraws_pool():
    MatchingRuleFactory()
    pool = funded_pool(55_000)
    donations = [DonationFactory(amount=10_000) for _ in range(WORKERS)]

    errors = run_threads(lambda d: reserve_match(donation=d), [(d,) for d in donations])

    held = sorted(MatchReservation.objects.values_list("amount", flat=True))
    assert errors == []
    assert sum(held) == 55_000
    assert held == [5_000] + [10_000] * 5
    assert pool_available(pool) == 0
    assert reconcile().ok


def test_confirm_and_expiry_race_never_double_counts():
    MatchingRuleFactory()
    pool = funded_pool(200_000)
    donations = [DonationFactory(amount=10_000) for _ in range(WORKERS)]
    for d in donations:
        reserve_match(donation=d, expires_at=timezone.now() - timedelta(seconds=1))
    jobs = [("pay", d) for d in donations] + [("expire", None)] * 4

    def work(kind, donation):
        if kind == "pay":
            mark_succeeded(donation=donation, amount_received=10_000, currency="CNY")
        else:
            expire_reservations()

    errors = run_threads(work, jobs)

    confirmed = MatchReservation.objects.filter(status=ReservationStatus.CONFIRMED)
    assert errors == []
    assert confirmed.count() == WORKERS
    assert pool_available(pool) == 200_000 - 10_000 * WORKERS
    assert reconcile().ok


def test_caps_and_pool_rows_race_reserve_release_and_refund():
    # Holds, releases and refunds of one call's gifts at the same time: the per-day cap
    # is never exceeded, the room that was free is used, and the pool and cap rows still
    # equal the ledger and the reservations.
    rule = MatchingRuleFactory(cap_per_day=100_000)
    pool = funded_pool(500_000)
    paid = [DonationFactory(amount=10_000) for _ in range(3)]
    for gift in paid:
        reserve_match(donation=gift)
        mark_succeeded(donation=gift, amount_received=10_000, currency="CNY")
    held = [DonationFactory(amount=10_000) for _ in range(3)]
    for gift in held:
        reserve_match(donation=gift)
    racing = [DonationFactory(amount=10_000) for _ in range(WORKERS)]
    jobs = (
        [("reserve", d) for d in racing]
        + [("release", d) for d in held]
        + [("refund", d) for d in paid]
    )

    def work(kind, donation):
        if kind == "reserve":
            reserve_match(donation=donation)
        elif kind == "release":
            mark_failed(donation=donation)
        else:
            record_refund(donation=donation, refunded_total=10_000)

    errors = run_threads(work, jobs)

    day_key = f"day:{rule.call_id}:{timezone.localdate().isoformat()}"
    live_total = sum(r.net_amount for r in MatchReservation.objects.live())
    racing_total = sum(
        r.amount for r in MatchReservation.objects.live().filter(donation__in=racing)
    )
    assert errors == []
    assert live_total <= 100_000
    assert racing_total >= 40_000  # the room free before the race was never lost
    assert racing_total == live_total  # every earlier hold was released or refunded
    assert MatchCapUsage.objects.get(key=day_key).used == live_total
    assert pool_available(pool) == 500_000 - live_total
    assert reconcile().ok


def test_inbox_batches_sharing_projects_and_pool_do_not_deadlock():
    # Four workers drain batches whose gifts share projects and one pool: each batch
    # takes its locks in one pass up front, so none waits on another in a cycle.
    MatchingRuleFactory()
    pool = funded_pool(240_000)
    projects = [MatchedProjectFactory() for _ in range(4)]
    gifts = [
        DonationFactory(amount=10_000, project=projects[i % 4], external_id=f"cs_lock_{i}")
        for i in range(40)
    ]
    now = timezone.now()
    InboundEvent.objects.bulk_create(
        [
            InboundEvent(
                provider="stripe",
                event_id=f"evt_lock_{g.pk}",
                event_type="checkout.session.completed",
                stream=str(g.pk),
                payload={
                    "id": f"evt_lock_{g.pk}",
                    "data": {
                        "object": {
                            "id": g.external_id,
                            "payment_status": "paid",
                            "payment_intent": f"pi_lock_{g.pk}",
                            "amount_total": 10_000,
                            "currency": "cny",
                            "metadata": {"donation_id": str(g.pk)},
                        }
                    },
                },
                received_at=now,
                available_at=now,
            )
            for g in gifts
        ]
    )

    errors = run_threads(lambda _i: process_inbox(batch_size=5), [(i,) for i in range(4)])

    assert errors == []
    assert InboundEvent.objects.filter(status="applied").count() == 40
    assert pool_available(pool) == 0
    assert reconcile().ok
