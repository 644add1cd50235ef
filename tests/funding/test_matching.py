from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from funding.enums import DonationSource, DonationStatus, ReservationStatus
from funding.models import MatchReservation
from funding.services.donations import mark_failed, mark_succeeded, record_refund
from funding.services.matching import (
    confirm_match,
    expire_reservations,
    pool_available,
    quote_match,
    reserve_match,
)
from funding.services.pools import close_pool, top_up_pool
from funding.services.reconcile import reconcile
from funding.services.regrant import regrant_released_match
from projects.enums import ProjectTier
from tests.factories.funding import (
    DonationFactory,
    MatchingRuleFactory,
    funded_pool,
    make_call,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def rule():
    return MatchingRuleFactory()


def test_reserve_match_one_to_one_holds_from_pool(rule):
    pool = funded_pool(50_000)
    donation = DonationFactory(amount=10_000)

    reservations = reserve_match(donation=donation)

    assert [(r.pool_id, r.amount, r.status) for r in reservations] == [
        (pool.pk, 10_000, ReservationStatus.HELD)
    ]
    assert pool_available(pool) == 40_000
    assert reconcile().ok


def test_reserve_match_priority_order_and_partial(rule):
    second = funded_pool(100_000, priority=20)
    first = funded_pool(3_000, priority=5)
    donation = DonationFactory(amount=10_000)

    reservations = reserve_match(donation=donation)

    assert [(r.pool_id, r.amount, r.covered) for r in reservations] == [
        (first.pk, 3_000, 3_000),
        (second.pk, 7_000, 7_000),
    ]


def test_reserve_match_half_ratio_pool(rule):
    rule.ratio_num, rule.ratio_den = 1, 2
    rule.save()
    pool = funded_pool(100_000, ratio=(1, 2))
    donation = DonationFactory(amount=10_001)

    reservations = reserve_match(donation=donation)

    assert [(r.pool_id, r.amount) for r in reservations] == [(pool.pk, 5_000)]


def test_reserve_match_pool_exhausted_partial_then_nothing(rule):
    funded_pool(15_000)
    first = DonationFactory(amount=10_000)
    second = DonationFactory(amount=10_000, project=first.project)
    third = DonationFactory(amount=10_000, project=first.project)

    amounts = [sum(r.amount for r in reserve_match(donation=d)) for d in (first, second, third)]

    assert amounts == [10_000, 5_000, 0]


def test_reserve_match_caps_applied(rule):
    rule.cap_per_donation = 4_000
    rule.cap_per_project = 10_000
    rule.cap_per_donor_project = 6_000
    rule.save()
    funded_pool(1_000_000)
    d1 = DonationFactory(amount=10_000, donor_email="a@example.org")
    d2 = DonationFactory(amount=10_000, donor_email="a@example.org", project=d1.project)
    d3 = DonationFactory(amount=10_000, donor_email="b@example.org", project=d1.project)
    d4 = DonationFactory(amount=10_000, donor_email="c@example.org", project=d1.project)

    amounts = [sum(r.amount for r in reserve_match(donation=d)) for d in (d1, d2, d3, d4)]

    assert amounts == [4_000, 2_000, 4_000, 0]


def test_reserve_match_daily_cap(rule):
    rule.cap_per_day = 15_000
    rule.save()
    funded_pool(1_000_000)
    d1 = DonationFactory(amount=10_000)
    d2 = DonationFactory(amount=10_000)

    amounts = [sum(r.amount for r in reserve_match(donation=d)) for d in (d1, d2)]

    assert amounts == [10_000, 5_000]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"tier": ProjectTier.RESERVE}, 0),
        ({"min_donation": 20_000}, 0),
        ({"offline_excluded": True}, 0),
        ({}, 10_000),
    ],
)
def test_reserve_match_eligibility(rule, change, expected):
    funded_pool(100_000)
    donation = DonationFactory(amount=10_000)
    if "tier" in change:
        donation.project.tier = change["tier"]
        donation.project.save()
    if "min_donation" in change:
        rule.min_donation = change["min_donation"]
        rule.save()
    if "offline_excluded" in change:
        rule.count_offline = False
        rule.save()
        donation.source = DonationSource.OFFLINE
        donation.save()

    reservations = reserve_match(donation=donation)

    assert sum(r.amount for r in reservations) == expected


def test_reserve_match_outside_campaign_window_is_zero(rule):
    funded_pool(100_000)
    donation = DonationFactory(amount=10_000)

    with time_machine.travel(timezone.now() + timedelta(days=6)):
        reservations = reserve_match(donation=donation)

    assert reservations == []


def test_quote_match_matches_reserve(rule):
    funded_pool(7_000)
    donation = DonationFactory(amount=10_000)

    quoted = quote_match(donation=donation)
    reserved = sum(r.amount for r in reserve_match(donation=donation))

    assert (quoted, reserved) == (7_000, 7_000)


def test_confirm_match_moves_reserved_to_project(rule):
    pool = funded_pool(50_000)
    donation = DonationFactory(amount=10_000)
    reserve_match(donation=donation)

    mark_succeeded(donation=donation, amount_received=10_000, currency="CNY")

    assert list(MatchReservation.objects.values_list("status", "amount")) == [
        (ReservationStatus.CONFIRMED, 10_000)
    ]
    assert pool_available(pool) == 40_000
    assert reconcile().ok


def test_confirm_match_twice_grants_once(rule):
    funded_pool(50_000)
    donation = DonationFactory(amount=10_000)
    reserve_match(donation=donation)

    first = confirm_match(donation=donation)
    second = confirm_match(donation=donation)

    assert (first, second) == (10_000, 0)


def test_expire_reservations_releases_after_ttl(rule):
    pool = funded_pool(50_000)
    donation = DonationFactory(amount=10_000)
    reserve_match(donation=donation)

    before = expire_reservations(now=timezone.now() + timedelta(minutes=29))
    after = expire_reservations(now=timezone.now() + timedelta(minutes=31))

    assert (before, after) == (0, 1)
    assert pool_available(pool) == 50_000
    assert reconcile().ok


def test_payment_after_expiry_rereserves_what_is_left(rule):
    pool = funded_pool(12_000)
    late = DonationFactory(amount=10_000)
    reserve_match(donation=late)
    expire_reservations(now=timezone.now() + timedelta(minutes=31))
    other = DonationFactory(amount=8_000, project=late.project)
    reserve_match(donation=other)

    mark_succeeded(donation=late, amount_received=10_000, currency="CNY")

    granted = MatchReservation.objects.get(donation=late, status=ReservationStatus.CONFIRMED)
    assert granted.amount == 4_000
    assert pool_available(pool) == 0
    assert reconcile().ok


def test_failed_checkout_releases_match(rule):
    pool = funded_pool(50_000)
    donation = DonationFactory(amount=10_000)
    reserve_match(donation=donation)

    mark_failed(donation=donation, status=DonationStatus.EXPIRED)

    assert pool_available(pool) == 50_000
    assert MatchReservation.objects.get().status == ReservationStatus.RELEASED


def test_partial_refund_reverses_share_of_match(rule):
    pool = funded_pool(50_000)
    donation = DonationFactory(amount=10_000)
    reserve_match(donation=donation)
    mark_succeeded(donation=donation, amount_received=10_000, currency="CNY")

    record_refund(donation=donation, refunded_total=2_500)
    record_refund(donation=donation, refunded_total=2_500)

    reservation = MatchReservation.objects.get()
    assert (reservation.amount, reservation.reversed_amount) == (10_000, 2_500)
    assert pool_available(pool) == 42_500
    assert reconcile().ok


def test_full_refund_returns_all_match(rule):
    pool = funded_pool(50_000)
    donation = DonationFactory(amount=10_000)
    reserve_match(donation=donation)
    mark_succeeded(donation=donation, amount_received=10_000, currency="CNY")

    record_refund(donation=donation, refunded_total=2_500)
    record_refund(donation=donation, refunded_total=10_000)

    assert pool_available(pool) == 50_000
    assert MatchReservation.objects.get().reversed_amount == 10_000
    assert reconcile().ok


def test_close_pool_returns_balance_and_stops_matching(rule):
    pool = funded_pool(50_000)
    top_up_pool(pool=pool, amount=10_000, key="second")
    top_up_pool(pool=pool, amount=10_000, key="second")

    returned = close_pool(pool=pool)
    donation = DonationFactory(amount=10_000)

    assert returned == 60_000
    assert reserve_match(donation=donation) == []
    assert pool_available(pool) == 0


def test_pool_for_other_call_not_used(rule):
    funded_pool(50_000, call=make_call("other-call"))
    donation = DonationFactory(amount=10_000)

    assert reserve_match(donation=donation) == []


def test_regrant_released_match_after_campaign(rule):
    rule.regrant_released = True
    rule.save()
    pool = funded_pool(10_000)
    first = DonationFactory(amount=10_000)
    reserve_match(donation=first)
    mark_succeeded(donation=first, amount_received=10_000, currency="CNY")
    late = DonationFactory(amount=6_000, project=first.project)
    mark_succeeded(donation=late, amount_received=6_000, currency="CNY")
    record_refund(donation=first, refunded_total=10_000)
    during = regrant_released_match(call=rule.call)

    after = regrant_released_match(call=rule.call, now=timezone.now() + timedelta(days=6))

    assert (during, after) == (0, 6_000)
    assert pool_available(pool) == 4_000
    assert reconcile().ok


def test_quote_match_for_an_unsaved_gift_respects_the_project_cap(rule):
    """The donate page quotes with an unsaved Donation; caps must not need its pk."""
    from funding.models import Donation

    rule.cap_per_project = 12_000
    rule.save()
    funded_pool(1_000_000)
    first = DonationFactory(amount=10_000)
    reserve_match(donation=first)

    unsaved = Donation(
        project=first.project,
        amount=10_000,
        currency="CNY",
        donor_email="x@example.org",
        source=DonationSource.STRIPE,
    )

    assert quote_match(donation=unsaved) == 2_000
