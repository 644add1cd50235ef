import pytest

from funding.enums import DisputeStatus, DonationSource, DonationStatus, ReservationStatus
from funding.models import Donation, InboundEvent, LedgerTransaction, MatchReservation
from funding.services.matching import pool_available, reserve_match
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


def outcome(event_id):
    """What the inbox worker recorded for a stored event."""
    return InboundEvent.objects.values_list("status", "outcome").get(event_id=event_id)


def post(client, payload, signature=None):
    return client.post(
        URL,
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature or sign(payload),
    )


def test_donate_flow_creates_checkout_on_fake_stripe(client, fake_stripe, pool):
    project = MatchedProjectFactory(slug="give-here")

    response = client.post(
        "/donate/give-here/",
        {
            "preset": "10000",
            "donor_name": "张三",
            "donor_email": "zs@example.org",
            "anonymity": "none",
        },
    )
    donation = Donation.objects.get()
    page = client.get(response["Location"])
    pay = client.post(response["Location"], {"pay": "1"})

    assert response["Location"] == f"/donate/gift/{donation.access_token}/"
    assert "本笔捐赠将获得配捐 ¥100.00" in page.content.decode()
    assert pay["Location"] == "https://checkout.stripe.test/pay/cs_test_1"
    sent = fake_stripe.requests[0]
    assert sent["path"] == "/v1/checkout/sessions"
    assert sent["key"].startswith(f"donation-{donation.pk}-checkout-")
    assert sent["body"]["line_items[0][price_data][unit_amount]"] == ["10000"]
    assert sent["body"]["line_items[0][price_data][currency]"] == ["cny"]
    donation.refresh_from_db()
    held = MatchReservation.objects.get(donation=donation)
    assert int(sent["body"]["expires_at"][0]) == int(held.expires_at.timestamp())
    assert (donation.external_id, donation.project, held.amount) == ("cs_test_1", project, 10_000)


def test_checkout_provider_down_fails_donation_and_releases(client, fake_stripe, pending):
    fake_stripe.fail = True
    Donation.objects.filter(pk=pending.pk).update(external_id="")

    response = client.post(f"/en/donate/gift/{pending.access_token}/", {"pay": "1"})

    pending.refresh_from_db()
    assert "The payment service is not available right now" in response.content.decode()
    assert "boom" not in response.content.decode()
    assert pending.status == DonationStatus.FAILED
    assert MatchReservation.objects.get().status == ReservationStatus.RELEASED


def test_webhook_completed_counts_and_confirms_match(client, fake_stripe, pending, pool):
    payload = event(
        "evt_1", "checkout.session.completed", session_obj(pending, session_id="cs_test_1")
    )

    response = post(client, payload)

    pending.refresh_from_db()
    assert response.json() == {"received": True, "duplicate": False}
    assert outcome("evt_1") == ("applied", "succeeded")
    assert pending.status == DonationStatus.SUCCEEDED
    assert pending.payment_intent == f"pi_{pending.pk}"
    assert MatchReservation.objects.get().status == ReservationStatus.CONFIRMED
    assert pool_available(pool) == 90_000
    assert reconcile().ok


def test_webhook_duplicate_delivery_applied_once(client, fake_stripe, pending):
    payload = event(
        "evt_1", "checkout.session.completed", session_obj(pending, session_id="cs_test_1")
    )

    first = post(client, payload)
    second = post(client, payload)

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json() == {"received": True, "duplicate": True}
    assert InboundEvent.objects.count() == 1
    assert LedgerTransaction.objects.filter(kind="donation").count() == 1


def test_webhook_tampered_signature_400_nothing_written(client, fake_stripe, pending):
    payload = event(
        "evt_1", "checkout.session.completed", session_obj(pending, session_id="cs_test_1")
    )
    forged = sign(payload, secret="whsec_wrong")

    response = post(client, payload, signature=forged)

    assert (response.status_code, response.json()) == (400, {"error": "invalid signature"})
    assert InboundEvent.objects.count() == 0
    assert Donation.objects.get().status == DonationStatus.PENDING


def test_webhook_stale_signature_400(client, fake_stripe, pending):
    payload = event(
        "evt_1", "checkout.session.completed", session_obj(pending, session_id="cs_test_1")
    )

    response = post(client, payload, signature=sign(payload, timestamp=1_000_000))

    assert response.status_code == 400
    assert InboundEvent.objects.count() == 0


def test_webhook_amount_mismatch_flagged_not_counted(client, fake_stripe, pending, pool):
    payload = event(
        "evt_1",
        "checkout.session.completed",
        session_obj(pending, session_id="cs_test_1", amount=100),
    )

    response = post(client, payload)

    pending.refresh_from_db()
    assert response.status_code == 200
    assert outcome("evt_1") == ("applied", "flagged")
    assert (pending.flagged, pending.amount) == (True, 100)
    assert "expected 10000 CNY, received 100 CNY" in pending.flag_reason
    assert LedgerTransaction.objects.filter(kind="donation").count() == 0
    assert pool_available(pool) == 100_000
    assert reconcile().ok


def test_webhook_crash_is_retried_by_the_worker(client, fake_stripe, pending, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from funding.services import inbox, payments

    payload = event(
        "evt_1", "checkout.session.completed", session_obj(pending, session_id="cs_test_1")
    )
    original = payments.record_payment
    calls = {"n": 0}

    def crash_twice(**kwargs):  # the batch, then the event on its own
        calls["n"] += 1
        if calls["n"] <= 2:
            raise RuntimeError("database went away: secret detail")
        return original(**kwargs)

    monkeypatch.setattr(payments, "record_payment", crash_twice)

    first = post(client, payload)
    stored = InboundEvent.objects.get()
    state_after_crash = (stored.status, stored.attempts, stored.last_error)
    later = inbox.process_inbox(now=timezone.now() + timedelta(seconds=3))

    assert (first.status_code, first.json()) == (200, {"received": True, "duplicate": False})
    assert "secret detail" not in first.content.decode()
    assert state_after_crash == ("pending", 1, "RuntimeError: database went away: secret detail")
    assert (later.applied, later.failed) == (1, 0)
    assert outcome("evt_1") == ("applied", "succeeded")
    assert Donation.objects.get().status == DonationStatus.SUCCEEDED


def test_webhook_partial_then_full_refund_reverses_match(client, fake_stripe, pending, pool):
    post(
        client,
        event("evt_1", "checkout.session.completed", session_obj(pending, session_id="cs_test_1")),
    )

    post(client, event("evt_2", "charge.refunded", charge_obj(pending, amount_refunded=4_000)))
    mid = pool_available(pool)
    post(client, event("evt_3", "charge.refunded", charge_obj(pending, amount_refunded=10_000)))

    pending.refresh_from_db()
    assert mid == 94_000
    assert pending.refunded_amount == 10_000
    assert pool_available(pool) == 100_000
    assert reconcile().ok


def test_webhook_refund_before_completed_applies_in_order(client, fake_stripe, pending, pool):
    post(client, event("evt_2", "charge.refunded", charge_obj(pending, amount_refunded=10_000)))
    late = post(
        client,
        event("evt_1", "checkout.session.completed", session_obj(pending, session_id="cs_test_1")),
    )

    pending.refresh_from_db()
    assert late.status_code == 200
    assert outcome("evt_1") == ("applied", "succeeded")
    assert (pending.status, pending.refunded_amount) == (DonationStatus.SUCCEEDED, 10_000)
    assert pool_available(pool) == 100_000
    assert LedgerTransaction.objects.filter(kind="donation").count() == 1
    assert reconcile().ok


def test_webhook_expired_releases_reservation(client, fake_stripe, pending, pool):
    post(
        client,
        event(
            "evt_1",
            "checkout.session.expired",
            session_obj(pending, session_id="cs_test_1", payment_status="unpaid"),
        ),
    )

    pending.refresh_from_db()
    assert pending.status == DonationStatus.EXPIRED
    assert pool_available(pool) == 100_000


def test_webhook_async_payment_flow(client, fake_stripe, pending, pool):
    unpaid = session_obj(pending, session_id="cs_test_1", payment_status="unpaid")

    r1 = post(client, event("evt_1", "checkout.session.completed", unpaid))
    r2 = post(
        client,
        event(
            "evt_2",
            "checkout.session.async_payment_succeeded",
            session_obj(pending, session_id="cs_test_1"),
        ),
    )

    assert (r1.status_code, r2.status_code) == (200, 200)
    assert outcome("evt_1") == ("applied", "awaiting async payment")
    assert outcome("evt_2") == ("applied", "succeeded")
    assert pool_available(pool) == 90_000


def test_webhook_async_payment_failed(client, fake_stripe, pending, pool):
    r = post(
        client,
        event(
            "evt_1",
            "checkout.session.async_payment_failed",
            session_obj(pending, session_id="cs_test_1", payment_status="unpaid"),
        ),
    )

    assert r.status_code == 200
    assert outcome("evt_1") == ("applied", "failed")
    assert Donation.objects.get().status == DonationStatus.FAILED
    assert pool_available(pool) == 100_000


def test_webhook_dispute_lost_reverses_gift_and_match(client, fake_stripe, pending, pool):
    post(
        client,
        event("evt_1", "checkout.session.completed", session_obj(pending, session_id="cs_test_1")),
    )
    dispute = {
        "id": "dp_1",
        "object": "dispute",
        "charge": f"ch_{pending.pk}",
        "payment_intent": f"pi_{pending.pk}",
        "status": "needs_response",
    }

    post(client, event("evt_2", "charge.dispute.created", dispute))
    post(client, event("evt_3", "charge.dispute.closed", {**dispute, "status": "lost"}))

    pending.refresh_from_db()
    assert (pending.dispute_status, pending.refunded_amount) == (DisputeStatus.LOST, 10_000)
    assert pool_available(pool) == 100_000
    assert reconcile().ok


def test_webhook_dispute_won_keeps_money(client, fake_stripe, pending, pool):
    post(
        client,
        event("evt_1", "checkout.session.completed", session_obj(pending, session_id="cs_test_1")),
    )
    dispute = {
        "id": "dp_1",
        "charge": f"ch_{pending.pk}",
        "payment_intent": f"pi_{pending.pk}",
        "status": "won",
    }

    post(client, event("evt_2", "charge.dispute.closed", dispute))

    pending.refresh_from_db()
    assert (pending.dispute_status, pending.refunded_amount) == (DisputeStatus.WON, 0)
    assert pool_available(pool) == 90_000


def test_donate_page_without_stripe_points_to_offline(client, settings):
    settings.STRIPE_SECRET_KEY = ""
    MatchedProjectFactory(slug="no-stripe")

    zh = client.get("/donate/no-stripe/").content.decode()
    en = client.get("/en/donate/no-stripe/").content.decode()

    assert "本站尚未开通在线支付" in zh
    assert "Online payment is not configured on this site." in en
    assert 'name="donor_email"' not in en


def test_test_provider_refused_when_debug_off(client, settings):
    settings.STRIPE_SECRET_KEY = ""
    settings.DEBUG = False
    settings.FUNDING_TEST_PAYMENTS = True
    donation = DonationFactory(source=DonationSource.TEST)

    response = client.get(f"/en/donate/gift/{donation.access_token}/test-checkout/")
    page = client.get("/en/donate/").content.decode()

    assert response.status_code == 404
    assert "Online payment is not configured" in page


def test_test_provider_simulates_payment_when_debug(client, settings, pool):
    settings.STRIPE_SECRET_KEY = ""
    settings.DEBUG = True
    settings.FUNDING_TEST_PAYMENTS = True
    MatchedProjectFactory(slug="demo-proj")

    form = client.post(
        "/en/donate/demo-proj/",
        {"preset": "5000", "donor_email": "t@example.org", "anonymity": "hide_both"},
    )
    confirm = client.post(form["Location"], {"pay": "1"})
    page = client.get(confirm["Location"]).content.decode()
    done = client.post(confirm["Location"], {"pay": "1"})

    donation = Donation.objects.get()
    assert "TEST PAYMENT MODE" in page
    assert done["Location"] == f"/en/donate/gift/{donation.access_token}/status/"
    assert (donation.status, donation.source) == (DonationStatus.SUCCEEDED, DonationSource.TEST)
    assert pool_available(pool) == 95_000
