"""Alipay (page pay, WAP pay, RSA2 notifications, refunds, trade query) end to end
against a local fake gateway speaking its signed protocol (tests/funding/alipay_fake.py)."""

import json
from datetime import timedelta
from urllib.parse import parse_qsl, urlparse

import pytest
from django.utils import timezone

from funding.enums import DonationSource, DonationStatus, ReservationStatus, TransactionKind
from funding.errors import InvalidTransition
from funding.models import Donation, InboundEvent, LedgerTransaction, MatchReservation
from funding.providers import online_methods
from funding.providers.alipay import yuan_to_fen
from funding.services.matching import expire_reservations, pool_available
from funding.services.reconcile import reconcile
from funding.services.refunds import request_refund
from tests.factories.funding import MatchedProjectFactory, MatchingRuleFactory
from tests.factories.funding import funded_pool as make_pool

from . import alipay_fake as ali

pytestmark = pytest.mark.django_db
URL = "/funding/alipay/notify/"
DESKTOP = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Safari/605.1.15"
PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36"
)
IN_WECHAT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 MicroMessenger/8.0.47"
)


@pytest.fixture
def pool():
    MatchingRuleFactory()
    return make_pool(100_000)


def give(client, fake, ua=DESKTOP, slug="give-here"):
    if not Donation._meta.get_field("project").related_model.objects.filter(slug=slug).exists():
        MatchedProjectFactory(slug=slug)
    response = client.post(
        f"/donate/{slug}/",
        {"preset": "10000", "donor_email": "w@example.org", "anonymity": "none"},
        HTTP_USER_AGENT=ua,
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    pay = client.post(response["Location"], {"pay": "1"}, HTTP_USER_AGENT=ua)
    gift = Donation.objects.latest("pk")
    trade = fake.open(pay["Location"]) if pay.status_code == 302 else None
    return gift, pay, trade


def notify(client, params):
    return client.post(URL, data=ali.form(params), content_type="application/x-www-form-urlencoded")


def drain():
    from funding.services.inbox import process_inbox

    process_inbox()


def postings(donation, kind=TransactionKind.DONATION):
    return LedgerTransaction.objects.filter(donation=donation, kind=kind).count()


def test_yuan_strings_become_fen_exactly():
    assert [yuan_to_fen(v) for v in ("100.00", "0.01", "100.5", "7", "1.999", "-1", "1e3", 5)] == [
        10_000,
        1,
        10_050,
        700,
        None,
        None,
        None,
        None,
    ]


def test_desktop_goes_to_a_signed_page_pay(client, fake_alipay, pool):
    gift, pay, trade = give(client, fake_alipay)

    gift.refresh_from_db()
    url = urlparse(pay["Location"])
    params = dict(parse_qsl(url.query))
    biz = json.loads(params["biz_content"])
    assert gift.source == DonationSource.ALIPAY
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{fake_alipay.url}/gateway.do"
    assert params["method"] == "alipay.trade.page.pay"
    assert params["sign_type"] == "RSA2"
    assert params["notify_url"] == "http://127.0.0.1:8000/funding/alipay/notify/"
    assert params["return_url"] == f"http://testserver/donate/gift/{gift.access_token}/status/"
    assert biz["total_amount"] == "100.00"
    assert biz["product_code"] == "FAST_INSTANT_TRADE_PAY"
    assert biz["passback_params"] == str(gift.pk)
    assert (biz["out_trade_no"], trade["status"]) == (gift.external_id, "WAIT_BUYER_PAY")


def test_phone_goes_to_wap_pay(client, fake_alipay, pool):
    gift, _pay, trade = give(client, fake_alipay, ua=PHONE)

    assert trade["method"] == "alipay.trade.wap.pay"
    assert trade["biz"]["product_code"] == "QUICK_WAP_PAY"
    assert trade["biz"]["quit_url"].endswith(f"/donate/gift/{gift.access_token}/status/")


def test_device_order_with_both_wallets(fake_alipay, fake_wechatpay, fake_stripe):
    assert online_methods(DESKTOP) == ["wechatpay", "alipay", "stripe"]
    assert online_methods(PHONE) == ["wechatpay", "alipay", "stripe"]
    # WeChat's browser does not open Alipay's pages: Alipay goes last there.
    assert online_methods(IN_WECHAT) == ["wechatpay", "stripe", "alipay"]


def test_paid_notification_answers_success_and_counts_once(client, fake_alipay, pool):
    gift, _pay, _trade = give(client, fake_alipay)
    gift.refresh_from_db()
    fake_alipay.pay(gift.external_id)
    params = fake_alipay.notification(gift.external_id)

    first = notify(client, params)
    again = notify(client, params)
    other = notify(client, fake_alipay.notification(gift.external_id))
    drain()

    gift.refresh_from_db()
    assert (first.content, again.content, other.content) == (b"success", b"success", b"success")
    assert InboundEvent.objects.filter(provider="alipay").count() == 2
    assert gift.status == DonationStatus.SUCCEEDED
    assert postings(gift) == 1
    assert MatchReservation.objects.get(donation=gift).status == ReservationStatus.CONFIRMED
    assert reconcile().ok, reconcile().problems


@pytest.mark.parametrize("forgery", ["stranger_key", "tampered", "other_app", "rsa1", "no_sign"])
def test_untrusted_notifications_answer_fail_and_store_nothing(client, fake_alipay, pool, forgery):
    gift, _pay, _trade = give(client, fake_alipay)
    gift.refresh_from_db()
    fake_alipay.pay(gift.external_id)
    key = ali.keys()["stranger"] if forgery == "stranger_key" else None
    overrides = {"app_id": "2021000000000000"} if forgery == "other_app" else {}
    params = fake_alipay.notification(gift.external_id, key=key, **overrides)
    if forgery == "tampered":
        params["total_amount"] = "1.00"
    if forgery == "rsa1":
        params["sign_type"] = "RSA"
    if forgery == "no_sign":
        del params["sign"]

    response = notify(client, params)

    gift.refresh_from_db()
    assert (response.status_code, response.content) == (400, b"fail")
    assert not InboundEvent.objects.exists()
    assert gift.status == DonationStatus.PENDING


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('{"trade_status": "TRADE_SUCCESS"}', "application/json"),
        ("sign=%%%&&==", "application/x-www-form-urlencoded"),
        (
            "sign=bm90IGEgc2lnbmF0dXJl&sign_type=RSA2&notify_id=1",
            "application/x-www-form-urlencoded",
        ),
        (
            "sign=!!!&sign_type=RSA2&notify_id=1&app_id=" + ali.APPID,
            "application/x-www-form-urlencoded",
        ),
    ],
)
def test_malformed_bodies_answer_fail_without_5xx(client, fake_alipay, body, content_type):
    response = client.post(URL, data=body, content_type=content_type)

    assert (response.status_code, response.content) == (400, b"fail")
    assert not InboundEvent.objects.exists()


def test_signed_notification_with_a_bad_amount_is_kept_and_ignored(client, fake_alipay, pool):
    gift, _pay, _trade = give(client, fake_alipay)
    gift.refresh_from_db()
    fake_alipay.pay(gift.external_id)

    notify(
        client, fake_alipay.notification(gift.external_id, total_amount="100.001", notify_id="N-1")
    )
    drain()

    event = InboundEvent.objects.get(event_id="N-1")
    assert event.status == "ignored"
    assert event.outcome.startswith("malformed: payment without trade_no or total_amount")


def test_amount_mismatch_is_flagged_not_counted(client, fake_alipay, pool):
    gift, _pay, _trade = give(client, fake_alipay)
    gift.refresh_from_db()
    fake_alipay.pay(gift.external_id)

    notify(client, fake_alipay.notification(gift.external_id, total_amount="90.00"))
    drain()

    gift.refresh_from_db()
    assert gift.flagged
    assert "received 9000 CNY" in gift.flag_reason
    assert postings(gift) == 0
    assert pool_available(pool) == 100_000


def test_unknown_trade_is_ignored_with_a_reason(client, fake_alipay, pool):
    params = ali.sign_params(
        {
            "notify_id": "N-unknown",
            "notify_type": "trade_status_sync",
            "app_id": ali.APPID,
            "out_trade_no": "G424242T1",
            "trade_no": "2026120722001000000000000001",
            "trade_status": "TRADE_SUCCESS",
            "total_amount": "100.00",
        }
    )

    response = notify(client, params)
    drain()

    event = InboundEvent.objects.get(event_id="N-unknown")
    assert response.content == b"success"
    assert (event.status, event.outcome) == ("ignored", "unknown payment")


def test_full_refund_before_the_payment_notification(client, fake_alipay, pool):
    gift, _pay, _trade = give(client, fake_alipay)
    gift.refresh_from_db()
    fake_alipay.pay(gift.external_id)
    paid = fake_alipay.notification(gift.external_id)
    closed = fake_alipay.notification(
        gift.external_id, trade_status="TRADE_CLOSED", refund_fee="100.00", out_biz_no="R1"
    )

    notify(client, closed)
    notify(client, paid)
    drain()

    gift.refresh_from_db()
    assert gift.status == DonationStatus.SUCCEEDED
    assert gift.refunded_amount == 10_000
    assert postings(gift) == 1
    assert postings(gift, TransactionKind.DONATION_REVERSAL) == 1
    assert pool_available(pool) == 100_000
    assert reconcile().ok, reconcile().problems


def test_partial_refunds_reverse_gift_and_match_once(client, fake_alipay, pool):
    gift, _pay, _trade = give(client, fake_alipay)
    gift.refresh_from_db()
    fake_alipay.pay(gift.external_id)
    notify(client, fake_alipay.notification(gift.external_id))
    thirty = fake_alipay.notification(gift.external_id, refund_fee="30.00", out_biz_no="R1")
    fifty = fake_alipay.notification(gift.external_id, refund_fee="50.00", out_biz_no="R2")

    notify(client, fifty)
    notify(client, thirty)  # late and lower: changes nothing
    notify(client, fake_alipay.notification(gift.external_id, refund_fee="50.00", out_biz_no="R2"))
    drain()

    gift.refresh_from_db()
    assert gift.refunded_amount == 5_000
    assert pool_available(pool) == 95_000
    assert reconcile().ok, reconcile().problems


def test_payment_after_the_reservation_expired_still_counts(client, fake_alipay, pool):
    gift, _pay, _trade = give(client, fake_alipay)
    gift.refresh_from_db()
    expire_reservations(now=timezone.now() + timedelta(hours=1))
    fake_alipay.pay(gift.external_id)

    notify(client, fake_alipay.notification(gift.external_id))
    drain()

    gift.refresh_from_db()
    assert gift.status == DonationStatus.SUCCEEDED
    assert postings(gift) == 1
    assert pool_available(pool) == 90_000
    assert reconcile().ok, reconcile().problems


def test_finance_refund_through_the_api_is_applied_once(client, fake_alipay, pool, finance_users):
    gift, _pay, _trade = give(client, fake_alipay)
    gift.refresh_from_db()
    fake_alipay.pay(gift.external_id)
    notify(client, fake_alipay.notification(gift.external_id))
    drain()
    gift.refresh_from_db()

    stored = request_refund(
        donation=gift, amount=4_000, seen_refunded=0, by=finance_users[0], reason="捐赠人申请"
    )
    drain()
    with pytest.raises(InvalidTransition):  # a second click after the first completed
        request_refund(donation=gift, amount=4_000, seen_refunded=0, by=finance_users[0])
    # Alipay's own notification of the same refund arrives too
    notify(client, fake_alipay.notification(gift.external_id, refund_fee="40.00", out_biz_no="x"))
    drain()

    gift.refresh_from_db()
    refund_calls = [r for r in fake_alipay.requests if r.get("method") == "alipay.trade.refund"]
    assert json.loads(refund_calls[0]["biz_content"])["refund_amount"] == "40.00"
    assert stored == 1
    assert len(fake_alipay.refunds) == 1
    assert gift.refunded_amount == 4_000
    assert postings(gift, TransactionKind.DONATION_REVERSAL) == 1
    assert pool_available(pool) == 94_000


def test_trade_query_counts_a_late_payment_and_closes_an_abandoned_one(client, fake_alipay, pool):
    from django.core.management import call_command

    paid_gift, _pay, _trade = give(client, fake_alipay)
    open_gift, _pay2, _trade2 = give(client, fake_alipay, slug="second")
    never_opened = Donation.objects.get(pk=open_gift.pk)
    paid_gift.refresh_from_db()
    fake_alipay.trades.pop(never_opened.external_id)  # the donor never logged in at Alipay
    fake_alipay.pay(paid_gift.external_id)
    Donation.objects.filter(pk=open_gift.pk).update(
        checkout_expires_at=timezone.now() - timedelta(minutes=1)
    )

    call_command("reconcile", "--sync-providers")
    notify(client, fake_alipay.notification(paid_gift.external_id))
    drain()

    paid_gift.refresh_from_db()
    open_gift.refresh_from_db()
    assert paid_gift.status == DonationStatus.SUCCEEDED
    assert postings(paid_gift) == 1
    assert open_gift.status == DonationStatus.EXPIRED
    assert reconcile().ok, reconcile().problems


def test_forged_query_answer_changes_nothing(client, fake_alipay, pool):
    from funding.services.provider_sync import sync_pending

    gift, _pay, _trade = give(client, fake_alipay)
    gift.refresh_from_db()
    fake_alipay.pay(gift.external_id)
    fake_alipay.sign_with = ali.keys()["stranger"]

    result = sync_pending()
    drain()

    gift.refresh_from_db()
    assert (result.asked, result.stored, result.errors) == (1, 0, 1)
    assert gift.status == DonationStatus.PENDING
