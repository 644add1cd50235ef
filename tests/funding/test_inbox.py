"""The webhook inbox: store once, answer at once, apply in batches, retry, park, re-run,
per-stream order, a pluggable provider adapter, bad shapes never 5xx."""

import json
from datetime import timedelta

import pytest
from django.http import JsonResponse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from funding.enums import DonationSource, DonationStatus
from funding.models import Donation, InboundEvent, LedgerTransaction
from funding.providers.base import (
    InvalidNotification,
    MalformedNotification,
    Notification,
    PaymentEvent,
    PaymentEventKind,
    ProviderAdapter,
)
from funding.providers.registry import register_adapter, unregister_adapter
from funding.services import inbox
from funding.services.reconcile import reconcile
from tests.factories.funding import DonationFactory, MatchingRuleFactory, funded_pool

from .stripe_fake import WEBHOOK_SECRET, charge_obj, event, session_obj, sign

pytestmark = pytest.mark.django_db
URL = "/funding/stripe/webhook/"


@pytest.fixture(autouse=True)
def stripe_keys(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET


def post(client, payload, signature=None, url=URL):
    return client.post(
        url,
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature or sign(payload),
    )


def store(payload: str, provider="stripe"):
    """Store a verified Stripe event without applying it (what the endpoint does when
    the workers are busy)."""
    data = json.loads(payload)
    inbox.store_notifications(
        provider=provider,
        notifications=[
            Notification(
                event_id=data["id"],
                event_type=data["type"],
                payload=data,
                stream=f"donation:{data['data']['object']['metadata']['donation_id']}",
            )
        ],
    )


@pytest.fixture
def gift():
    MatchingRuleFactory()
    funded_pool(100_000)
    return DonationFactory(amount=10_000, source=DonationSource.STRIPE, external_id="cs_in_1")


def test_stored_events_apply_in_one_batch_in_arrival_order(gift):
    store(event("evt_a", "checkout.session.completed", session_obj(gift, session_id="cs_in_1")))
    store(event("evt_b", "charge.refunded", charge_obj(gift, amount_refunded=4_000)))

    result = inbox.process_batch(size=10)

    gift.refresh_from_db()
    assert (result.claimed, result.applied, result.failed) == (2, 2, 0)
    assert (gift.status, gift.refunded_amount) == (DonationStatus.SUCCEEDED, 4_000)
    assert list(InboundEvent.objects.order_by("pk").values_list("status", "outcome")) == [
        ("applied", "succeeded"),
        ("applied", "refunded 4000"),
    ]
    assert reconcile().ok


def test_claim_leaves_a_later_event_of_a_stream_whose_earlier_event_is_not_claimed(gift):
    store(event("evt_a", "checkout.session.completed", session_obj(gift, session_id="cs_in_1")))
    store(event("evt_b", "charge.refunded", charge_obj(gift, amount_refunded=4_000)))
    first = InboundEvent.objects.get(event_id="evt_a")
    InboundEvent.objects.filter(pk=first.pk).update(
        available_at=timezone.now() + timedelta(minutes=5)  # backing off after a failure
    )

    result = inbox.process_batch(size=10)

    gift.refresh_from_db()
    assert (result.claimed, result.deferred, result.applied) == (1, 1, 0)
    assert gift.status == DonationStatus.PENDING
    assert set(InboundEvent.objects.values_list("status", flat=True)) == {"pending"}


def test_poisoned_event_is_isolated_and_others_apply(gift, monkeypatch):
    other = DonationFactory(amount=5_000, source=DonationSource.STRIPE, external_id="cs_in_2")
    store(event("evt_bad", "checkout.session.completed", session_obj(gift, session_id="cs_in_1")))
    store(event("evt_ok", "checkout.session.completed", session_obj(other, session_id="cs_in_2")))
    from funding.services import payments

    original = payments.record_payment

    def poisoned(*, donation_id, **kwargs):
        if donation_id == gift.pk:
            raise ValueError("poison")
        return original(donation_id=donation_id, **kwargs)

    monkeypatch.setattr(payments, "record_payment", poisoned)

    result = inbox.process_batch(size=10)

    bad = InboundEvent.objects.get(event_id="evt_bad")
    assert (result.applied, result.failed) == (1, 0)
    assert Donation.objects.get(pk=other.pk).status == DonationStatus.SUCCEEDED
    assert Donation.objects.get(pk=gift.pk).status == DonationStatus.PENDING
    assert (bad.status, bad.attempts, bad.last_error) == ("pending", 1, "ValueError: poison")
    assert bad.available_at > timezone.now()


def test_event_failing_every_time_is_parked_then_rerun_by_finance(
    gift, monkeypatch, settings, finance_users, django_capture_on_commit_callbacks
):
    settings.FUNDING_INBOX_MAX_ATTEMPTS = 3
    store(event("evt_bad", "checkout.session.completed", session_obj(gift, session_id="cs_in_1")))
    from funding.services import payments

    original = payments.record_payment
    monkeypatch.setattr(payments, "record_payment", lambda **kw: 1 / 0)
    later = timezone.now()
    for _ in range(3):
        later += timedelta(hours=2)
        inbox.process_inbox(now=later)
    parked = InboundEvent.objects.get()
    parked_state = (parked.status, parked.attempts, parked.outcome)
    monkeypatch.setattr(payments, "record_payment", original)

    with django_capture_on_commit_callbacks(execute=True):  # the re-run kicks a drain
        inbox.requeue_event(event=parked, by=finance_users[0])

    parked.refresh_from_db()
    assert parked_state == ("failed", 3, "failed after 3 attempts")
    assert (parked.status, parked.outcome) == ("applied", "succeeded")
    assert Donation.objects.get(pk=gift.pk).status == DonationStatus.SUCCEEDED


def test_requeue_refuses_an_applied_event(gift, finance_users):
    from funding.errors import InvalidTransition

    store(event("evt_a", "checkout.session.completed", session_obj(gift, session_id="cs_in_1")))
    inbox.process_inbox()

    with pytest.raises(InvalidTransition):
        inbox.requeue_event(event=InboundEvent.objects.get(), by=finance_users[0])


def test_unknown_event_type_is_stored_and_ignored(client):
    payload = event("evt_x", "customer.created", {"id": "cus_1", "object": "customer"})

    response = post(client, payload)

    assert response.json() == {"received": True, "duplicate": False}
    assert InboundEvent.objects.values_list("status", "outcome").get() == (
        "ignored",
        "event type not handled",
    )


# --- bad shapes (issue #14): never a 5xx, nothing counted ------------------------------


@pytest.mark.parametrize(
    ("body", "status", "stored"),
    [
        ("[1,2,3]", 400, 0),
        ('"just a string"', 400, 0),
        ('{"type": "checkout.session.completed"}', 400, 0),
        ('{"id": 7, "type": "checkout.session.completed"}', 400, 0),
        ("not json at all", 400, 0),
    ],
)
def test_signed_body_without_event_id_is_refused_400(client, gift, body, status, stored):
    response = post(client, body)

    assert (response.status_code, response.json()) == (status, {"error": "invalid signature"})
    assert InboundEvent.objects.count() == stored


@pytest.mark.parametrize(
    ("obj", "reason"),
    [
        ("a string", "malformed: data.object is not an object"),
        (
            {"id": "cs_in_1", "amount_total": "abc", "currency": "cny", "payment_status": "paid"},
            "malformed: amount_total is not an amount in minor units",
        ),
        (
            {"id": "cs_in_1", "amount_total": 1e20, "currency": "cny", "payment_status": "paid"},
            "malformed: amount_total is not an amount in minor units",
        ),
        (
            {"id": "cs_in_1", "amount_total": 10**20, "currency": "cny", "payment_status": "paid"},
            "malformed: amount_total is not an amount in minor units",
        ),
        (
            {"id": "cs_in_1", "metadata": [1], "payment_status": "paid"},
            "malformed: metadata is not an object",
        ),
    ],
)
def test_signed_session_with_wrong_shape_is_stored_ignored_and_answered_200(
    client, gift, obj, reason
):
    payload = event("evt_shape", "checkout.session.completed", obj)

    response = post(client, payload)

    gift.refresh_from_db()
    assert response.json() == {"received": True, "duplicate": False}
    assert InboundEvent.objects.values_list("status", "outcome").get() == ("ignored", reason)
    assert gift.status == DonationStatus.PENDING
    assert LedgerTransaction.objects.filter(kind="donation").count() == 0


def test_refund_with_text_amount_is_ignored_and_counts_nothing(client, gift):
    post(
        client,
        event("evt_1", "checkout.session.completed", session_obj(gift, session_id="cs_in_1")),
    )
    bad = {**charge_obj(gift), "amount_refunded": "abc"}

    response = post(client, event("evt_2", "charge.refunded", bad))

    gift.refresh_from_db()
    assert response.status_code == 200
    assert InboundEvent.objects.values_list("status", "outcome").get(event_id="evt_2") == (
        "ignored",
        "malformed: amount_refunded is not an amount in minor units",
    )
    assert gift.refunded_amount == 0
    assert reconcile().ok


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
event_types = st.sampled_from(
    [
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "checkout.session.async_payment_failed",
        "checkout.session.expired",
        "charge.refunded",
        "charge.dispute.created",
        "charge.dispute.closed",
    ]
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=json_values
    | st.fixed_dictionaries(
        {"id": st.text(min_size=1, max_size=20), "type": event_types},
        optional={"data": json_values | st.fixed_dictionaries({"object": json_values})},
    )
)
def test_any_signed_body_shape_is_never_5xx_and_counts_nothing(client, gift, body):
    payload = json.dumps(body)
    has_id = isinstance(body, dict) and isinstance(body.get("id"), str) and body["id"] != ""
    # PostgreSQL's JSON type holds neither Infinity nor a NUL character: such a body is
    # refused (400) on every database, never a 500 on insert.
    try:
        storable = "\\u0000" not in json.dumps(body, allow_nan=False)
    except ValueError:
        storable = False

    response = post(client, payload)

    assert response.status_code == (200 if has_id and storable else 400)
    assert LedgerTransaction.objects.filter(kind="donation").count() == 0
    assert Donation.objects.get(pk=gift.pk).status == DonationStatus.PENDING


# --- a provider plugged in through the interface ----------------------------------------


class EchoAdapter(ProviderAdapter):
    """A provider whose 'signature' is a shared token and whose payload names the
    gift's order number and what happened: enough to drive the interface."""

    name = "echo"
    donation_source = DonationSource.TEST

    def verify(self, request):
        if request.headers.get("X-Echo-Token") != "good":
            raise InvalidNotification("bad token")
        data = json.loads(request.body)
        return [Notification(event_id=data["id"], event_type=data["kind"], payload=data)]

    def normalise(self, event_type, payload):
        if not isinstance(payload.get("fen"), int):
            raise MalformedNotification("fen")
        return [
            PaymentEvent(
                kind=PaymentEventKind(event_type),
                checkout_id=payload["order"],
                amount=payload["fen"],
                currency="CNY",
            )
        ]

    def accepted(self, *, duplicate):
        return JsonResponse({"code": "SUCCESS"})

    def rejected(self, exc):
        return JsonResponse({"code": "FAIL"}, status=401)


@pytest.fixture
def echo():
    register_adapter("echo", EchoAdapter())
    yield
    unregister_adapter("echo")


def test_plugged_in_provider_goes_through_the_same_inbox(client, echo):
    MatchingRuleFactory()
    pool = funded_pool(100_000)
    gift = DonationFactory(amount=8_000, source=DonationSource.TEST, external_id="echo-1")
    body = json.dumps({"id": "n-1", "kind": "paid", "order": "echo-1", "fen": 8_000})
    url = "/funding/echo/notify/"

    refused = client.post(url, body, content_type="application/json", HTTP_X_ECHO_TOKEN="x")
    first = client.post(url, body, content_type="application/json", HTTP_X_ECHO_TOKEN="good")
    again = client.post(url, body, content_type="application/json", HTTP_X_ECHO_TOKEN="good")

    gift.refresh_from_db()
    from funding.services.matching import pool_available

    assert (refused.status_code, refused.json()) == (401, {"code": "FAIL"})
    assert (first.status_code, first.json()) == (200, {"code": "SUCCESS"})
    assert again.json() == {"code": "SUCCESS"}
    assert InboundEvent.objects.filter(provider="echo").count() == 1
    assert gift.status == DonationStatus.SUCCEEDED
    assert pool_available(pool) == 92_000
    assert reconcile().ok


def test_unknown_provider_is_404(client):
    response = client.post("/funding/nobody/notify/", "{}", content_type="application/json")

    assert response.status_code == 404


# --- the finance admin ------------------------------------------------------------------


def role_user(username, role, *perms):
    """A staff account in a role group, as the roles migration and seed_demo make them
    (the group's permissions re-added: a transactional test may have flushed them)."""
    from django.contrib.auth.models import Group, Permission

    from tests.factories.organizations import UserFactory

    group = Group.objects.get_or_create(name=role)[0]
    group.permissions.add(*Permission.objects.filter(codename__in=["access_admin", *perms]))
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(group)
    return user


@pytest.fixture
def finance_officer(db):
    from organizations.roles import FINANCE_OFFICER

    return role_user("fin-inbox", FINANCE_OFFICER, "view_inboundevent", "change_inboundevent")


def test_finance_sees_parked_event_and_reruns_it(client, gift, finance_officer):
    store(event("evt_p", "checkout.session.completed", session_obj(gift, session_id="cs_in_1")))
    InboundEvent.objects.update(
        status="failed", attempts=8, outcome="failed after 8 attempts", last_error="ValueError: x"
    )
    parked = InboundEvent.objects.get()
    client.force_login(finance_officer)

    listing = client.get("/admin/funding_inbox/?status=failed").content.decode()
    page = client.get(f"/admin/funding_inbox/event/{parked.pk}/").content.decode()
    rerun = client.post(f"/admin/funding_inbox/event/{parked.pk}/", {"action": "requeue"})

    parked.refresh_from_db()
    assert "evt_p" in listing
    assert "failed after 8 attempts" in listing
    assert "ValueError: x" in page
    assert "重新处理" in page
    assert rerun["Location"] == f"/admin/funding_inbox/event/{parked.pk}/"
    # pending again (the drain is queued when the request's transaction commits)
    assert (parked.status, parked.attempts) == ("pending", 0)


def test_inbox_admin_refused_to_a_reviewer(client, gift):
    from organizations.roles import REVIEWER

    reviewer = role_user("rev-inbox", REVIEWER)
    store(event("evt_r", "checkout.session.completed", session_obj(gift, session_id="cs_in_1")))
    InboundEvent.objects.update(status="failed")
    client.force_login(reviewer)

    page = client.get(f"/admin/funding_inbox/event/{InboundEvent.objects.get().pk}/")
    rerun = client.post(
        f"/admin/funding_inbox/event/{InboundEvent.objects.get().pk}/", {"action": "requeue"}
    )

    assert (page.status_code, page["Location"]) == (302, "/admin/")  # sent away by the admin
    assert (rerun.status_code, rerun["Location"]) == (302, "/admin/")
    assert InboundEvent.objects.get().status == "failed"
