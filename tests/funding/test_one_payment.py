"""One payment = one gift (#17 items 1–3, 10): checkout sessions are reused, every
webhook is matched by the provider's payment, a second payment is recorded and flagged
for refund, refunds never reverse another payment's gift, and a flagged gift refunded
before it is cleared counts only what remains."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone, translation

from funding.enums import DonationSource, DonationStatus, ReservationStatus
from funding.errors import InvalidTransition
from funding.models import Donation, InboundEvent, LedgerTransaction, MatchReservation
from funding.services.donations import clear_flag
from funding.services.matching import expire_reservations, pool_available, reserve_match
from funding.services.reconcile import reconcile
from tests.factories.funding import DonationFactory, MatchedProjectFactory, MatchingRuleFactory
from tests.factories.funding import funded_pool as make_pool

from .stripe_fake import charge_obj, event, session_obj, sign

pytestmark = pytest.mark.django_db
URL = "/funding/stripe/webhook/"


@pytest.fixture
def pool():
    MatchingRuleFactory()
    return make_pool(100_000)


@pytest.fixture
def pending(pool):
    donation = DonationFactory(amount=10_000, source=DonationSource.STRIPE, external_id="cs_test_1")
    reserve_match(donation=donation)
    return donation


def deliver(client, event_id, type_, obj):
    payload = event(event_id, type_, obj)
    response = client.post(
        URL, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(payload)
    )
    assert response.status_code == 200
    return InboundEvent.objects.values_list("status", "outcome").get(event_id=event_id)


def second_session(gift, *, session_id="cs_test_2", payment_intent="pi_second", **kwargs):
    obj = session_obj(gift, session_id=session_id, **kwargs)
    obj["payment_intent"] = payment_intent
    return obj


def second_charge(gift, *, amount_refunded, payment_intent="pi_second"):
    obj = charge_obj(gift, amount_refunded=amount_refunded)
    obj["payment_intent"] = payment_intent
    obj["id"] = "ch_second"
    return obj


def test_reopening_checkout_reuses_the_open_session(client, fake_stripe, pool):
    MatchedProjectFactory(slug="give-here")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        form = client.post(
            "/en/donate/give-here/",
            {"preset": "10000", "donor_email": "zs@example.org", "anonymity": "none"},
        )
        first = client.post(form["Location"], {"pay": "1"})
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        again = client.post(form["Location"], {"pay": "1"})

    donation = Donation.objects.get()
    assert first["Location"] == again["Location"] == "https://checkout.stripe.test/pay/cs_test_1"
    assert len(fake_stripe.requests) == 1
    assert donation.checkout_expires_at == MatchReservation.objects.get().expires_at


def test_checkout_after_the_session_expired_opens_one_new_session(client, fake_stripe, pool):
    MatchedProjectFactory(slug="give-here")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        form = client.post(
            "/en/donate/give-here/",
            {"preset": "10000", "donor_email": "zs@example.org", "anonymity": "none"},
        )
        client.post(form["Location"], {"pay": "1"})
    with time_machine.travel(start + timedelta(minutes=40), tick=False):
        expire_reservations()
        renewed = client.post(form["Location"], {"pay": "1"})
        again = client.post(form["Location"], {"pay": "1"})

    donation = Donation.objects.get()
    held = MatchReservation.objects.get(status=ReservationStatus.HELD)
    assert renewed["Location"] == again["Location"] == "https://checkout.stripe.test/pay/cs_test_2"
    assert len(fake_stripe.requests) == 2
    assert (donation.external_id, held.expires_at) == ("cs_test_2", donation.checkout_expires_at)
    assert pool_available(pool) == 90_000


def test_second_payment_for_a_paid_gift_is_recorded_and_flagged(client, fake_stripe, pending):
    deliver(
        client, "evt_1", "checkout.session.completed", session_obj(pending, session_id="cs_test_1")
    )

    outcome = deliver(client, "evt_2", "checkout.session.completed", second_session(pending))
    again = deliver(client, "evt_3", "checkout.session.completed", second_session(pending))

    gift = Donation.objects.get(pk=pending.pk)
    second = Donation.objects.get(duplicate_of=gift)
    report = reconcile()
    assert outcome == ("applied", "duplicate payment flagged for refund")
    assert again == ("applied", "flagged")
    assert (gift.status, gift.payment_intent, gift.flagged) == ("succeeded", f"pi_{gift.pk}", False)
    assert (second.amount, second.payment_intent, second.external_id) == (
        10_000,
        "pi_second",
        "cs_test_2",
    )
    assert (second.status, second.flagged) == (DonationStatus.SUCCEEDED, True)
    assert second.flag_reason == f"second payment for gift #{gift.pk}: refund it"
    assert LedgerTransaction.objects.filter(kind="donation").count() == 1
    assert report.ok, report.problems
    assert report.summary["second payments awaiting refund"] == 1


def test_refund_of_the_second_payment_leaves_the_kept_gift(client, fake_stripe, pending, pool):
    deliver(
        client, "evt_1", "checkout.session.completed", session_obj(pending, session_id="cs_test_1")
    )
    deliver(client, "evt_2", "checkout.session.completed", second_session(pending))

    outcome = deliver(
        client, "evt_3", "charge.refunded", second_charge(pending, amount_refunded=10_000)
    )

    gift = Donation.objects.get(pk=pending.pk)
    second = Donation.objects.get(duplicate_of=gift)
    report = reconcile()
    assert outcome == ("applied", "refunded 10000")
    assert (gift.refunded_amount, second.refunded_amount) == (0, 10_000)
    assert gift.project.balance.raised == 10_000
    assert gift.project.balance.matched == 10_000
    assert pool_available(pool) == 90_000
    assert report.ok, report.problems
    assert report.summary["second payments awaiting refund"] == 0


def test_refund_before_the_second_payment_is_known_records_it(client, fake_stripe, pending, pool):
    deliver(
        client, "evt_1", "checkout.session.completed", session_obj(pending, session_id="cs_test_1")
    )

    deliver(client, "evt_2", "charge.refunded", second_charge(pending, amount_refunded=10_000))

    gift = Donation.objects.get(pk=pending.pk)
    second = Donation.objects.get(duplicate_of=gift)
    assert (gift.refunded_amount, gift.project.balance.raised) == (0, 10_000)
    assert (second.payment_intent, second.refunded_amount, second.flagged) == (
        "pi_second",
        10_000,
        True,
    )
    assert pool_available(pool) == 90_000
    assert reconcile().ok


def test_refund_of_an_unknown_payment_without_amount_is_ignored(client, fake_stripe, pending):
    deliver(
        client, "evt_1", "checkout.session.completed", session_obj(pending, session_id="cs_test_1")
    )
    charge = second_charge(pending, amount_refunded=10_000)
    charge["paid"] = False

    outcome = deliver(client, "evt_2", "charge.refunded", charge)

    assert outcome == ("ignored", "refund of an unknown payment")
    assert Donation.objects.get(pk=pending.pk).refunded_amount == 0


def test_earlier_session_paid_after_a_new_one_opened_counts_once(client, fake_stripe, pending):
    Donation.objects.filter(pk=pending.pk).update(external_id="cs_test_2")

    first = deliver(
        client, "evt_1", "checkout.session.completed", second_session(pending, session_id="cs_old")
    )
    expired = deliver(
        client,
        "evt_2",
        "checkout.session.expired",
        session_obj(pending, session_id="cs_test_2", payment_status="unpaid"),
    )

    gift = Donation.objects.get(pk=pending.pk)
    assert first == ("applied", "succeeded")
    assert expired == ("ignored", "unknown or superseded checkout session")
    assert (gift.status, gift.external_id, gift.payment_intent) == (
        DonationStatus.SUCCEEDED,
        "cs_old",
        "pi_second",
    )
    assert reconcile().ok


def test_expiry_of_a_superseded_session_keeps_the_gift_payable(client, fake_stripe, pending):
    Donation.objects.filter(pk=pending.pk).update(external_id="cs_test_2")

    outcome = deliver(
        client,
        "evt_1",
        "checkout.session.expired",
        session_obj(pending, session_id="cs_test_1", payment_status="unpaid"),
    )

    assert outcome == ("ignored", "unknown or superseded checkout session")
    assert Donation.objects.get(pk=pending.pk).status == DonationStatus.PENDING


def test_flagged_gift_refunded_then_cleared_counts_what_remains(
    client, fake_stripe, pending, pool, finance_users
):
    deliver(
        client,
        "evt_1",
        "checkout.session.completed",
        session_obj(pending, session_id="cs_test_1", amount=8_000),
    )
    deliver(client, "evt_2", "charge.refunded", charge_obj(pending, amount_refunded=3_000))

    clear_flag(donation=pending, by=finance_users[0])

    gift = Donation.objects.get(pk=pending.pk)
    report = reconcile()
    assert (gift.amount, gift.refunded_amount, gift.flagged) == (8_000, 3_000, False)
    assert (gift.project.balance.raised, gift.project.balance.matched) == (5_000, 5_000)
    assert pool_available(pool) == 95_000
    assert gift.receipt.amount == 5_000
    assert report.ok, report.problems


def test_flagged_gift_fully_refunded_then_cleared_counts_nothing(
    client, fake_stripe, pending, pool, finance_users
):
    deliver(
        client,
        "evt_1",
        "checkout.session.completed",
        session_obj(pending, session_id="cs_test_1", amount=8_000),
    )
    deliver(client, "evt_2", "charge.refunded", charge_obj(pending, amount_refunded=8_000))

    clear_flag(donation=pending, by=finance_users[0])

    gift = Donation.objects.get(pk=pending.pk)
    assert (gift.project.balance.raised, gift.project.balance.matched) == (0, 0)
    assert pool_available(pool) == 100_000
    assert not hasattr(gift, "receipt")
    assert reconcile().ok


def test_second_payment_cannot_be_cleared(client, fake_stripe, pending, finance_users):
    deliver(
        client, "evt_1", "checkout.session.completed", session_obj(pending, session_id="cs_test_1")
    )
    deliver(client, "evt_2", "checkout.session.completed", second_session(pending))
    second = Donation.objects.get(duplicate_of=pending)

    with translation.override("en"), pytest.raises(InvalidTransition) as caught:
        clear_flag(donation=second, by=finance_users[0])

    assert caught.value.messages == [
        f"This is a second payment for gift #{pending.pk}, which is already paid. "
        "Refund it at the payment provider; it never counts."
    ]
    assert Donation.objects.get(pk=second.pk).flagged is True


def test_reconcile_reports_a_refund_that_reversed_another_gift(pending):
    from funding.services.donations import _reverse_money, mark_succeeded

    mark_succeeded(donation=pending, amount_received=10_000, currency="CNY", payment_intent="pi_a")
    gift = Donation.objects.get(pk=pending.pk)
    _reverse_money(gift, 4_000, key="stray")  # ledger moved, refunded_amount not

    report = reconcile()

    assert f"donation {gift.pk} net in ledger 6000 != counted 10000" in report.problems


def test_async_payment_keeps_its_match_hold_while_awaiting(client, fake_stripe, pending, pool):
    start = timezone.now()
    unpaid = session_obj(pending, session_id="cs_test_1", payment_status="unpaid")
    with time_machine.travel(start, tick=False):
        deliver(client, "evt_1", "checkout.session.completed", unpaid)
    with time_machine.travel(start + timedelta(hours=5), tick=False):
        released = expire_reservations()
        outcome = deliver(
            client,
            "evt_2",
            "checkout.session.async_payment_succeeded",
            session_obj(pending, session_id="cs_test_1"),
        )

    assert released == 0
    assert outcome == ("applied", "succeeded")
    assert MatchReservation.objects.get().status == ReservationStatus.CONFIRMED
    assert pool_available(pool) == 90_000
    assert reconcile().ok
