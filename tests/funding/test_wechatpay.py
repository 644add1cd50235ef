"""WeChat Pay API v3 end to end against a local fake speaking its signed protocol
(tests/funding/wechatpay_fake.py): real RSA keys, real signatures, AES-GCM resources."""

import time
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from funding.enums import DonationSource, DonationStatus, ReservationStatus, TransactionKind
from funding.errors import InvalidTransition
from funding.models import (
    Donation,
    InboundEvent,
    LedgerTransaction,
    MatchReservation,
    ProviderRefund,
)
from funding.providers import device_of, online_methods
from funding.services.matching import expire_reservations, pool_available
from funding.services.reconcile import reconcile
from funding.services.refunds import request_refund
from tests.factories.funding import MatchedProjectFactory, MatchingRuleFactory
from tests.factories.funding import funded_pool as make_pool

from . import wechatpay_fake as wx

pytestmark = pytest.mark.django_db
URL = "/funding/wechatpay/notify/"
DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"
PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
IN_WECHAT = (
    "Mozilla/5.0 (Linux; Android 13; V2049A) AppleWebKit/537.36 Chrome/116.0 Mobile "
    "Safari/537.36 XWEB/1160065 MMWEBSDK/20231202 MicroMessenger/8.0.47.2560(0x28002F35)"
)


@pytest.fixture
def pool():
    MatchingRuleFactory()
    return make_pool(100_000)


def give(client, ua=DESKTOP, amount="10000", slug="give-here"):
    """Donate page → confirmation → "continue to payment"; returns (gift, answer)."""
    if not MatchedProjectFactory._meta.model.objects.filter(slug=slug).exists():
        MatchedProjectFactory(slug=slug)
    response = client.post(
        f"/donate/{slug}/",
        {
            "preset": amount,
            "donor_name": "李四",
            "donor_email": "ls@example.org",
            "anonymity": "none",
        },
        HTTP_USER_AGENT=ua,
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    pay = client.post(response["Location"], {"pay": "1"}, HTTP_USER_AGENT=ua)
    return Donation.objects.latest("pk"), pay


def notify(client, event_type, resource, *, event_id=None, key=None, timestamp=None, **kw):
    body = wx.notification_body(event_type, resource, event_id=event_id, **kw)
    headers = wx.signed_headers(body, key=key, timestamp=timestamp)
    return client.post(URL, data=body, content_type="application/json", **wx.wsgi_headers(headers))


def drain():
    from funding.services.inbox import process_inbox

    process_inbox()


def postings(donation, kind=TransactionKind.DONATION):
    return LedgerTransaction.objects.filter(donation=donation, kind=kind).count()


# --- checkout -------------------------------------------------------------------------


def test_desktop_gets_a_qr_code_of_a_signed_native_order(client, fake_wechatpay, pool):
    gift, pay = give(client)

    page = client.get(pay["Location"], HTTP_USER_AGENT=DESKTOP)

    gift.refresh_from_db()
    order = fake_wechatpay.orders[gift.external_id]
    sent = order["request"]
    assert pay["Location"] == f"/donate/gift/{gift.access_token}/scan/"
    assert (gift.source, gift.status) == (DonationSource.WECHATPAY, DonationStatus.PENDING)
    assert gift.payment_code == f"weixin://wxpay/bizpayurl?pr={order['prepay']}"
    assert sent["amount"] == {"total": 10_000, "currency": "CNY"}
    assert sent["attach"] == str(gift.pk)
    assert sent["notify_url"].endswith("/funding/wechatpay/notify/")
    assert (sent["mchid"], sent["appid"]) == (wx.MCHID, wx.APPID)
    held = MatchReservation.objects.get(donation=gift)
    assert sent["time_expire"] == held.expires_at.astimezone(
        timezone.get_fixed_timezone(480)
    ).isoformat(timespec="seconds")
    html = page.content.decode()
    assert '<svg width="' in html and 'class="segno"' in html
    assert "打开微信" in html
    assert 'src="/static/funding/js/payment-status.js"' in html
    assert "<script>" not in html
    assert "script-src 'self'" in page["Content-Security-Policy"]


def test_reopening_checkout_reuses_the_same_order(client, fake_wechatpay, pool):
    gift, pay = give(client)
    again = client.post(f"/donate/gift/{gift.access_token}/", {"pay": "1"})

    assert again["Location"] == pay["Location"]
    assert len(fake_wechatpay.orders) == 1


def test_phone_browser_is_sent_to_h5_with_the_way_back(client, fake_wechatpay, pool):
    gift, pay = give(client, ua=PHONE)

    gift.refresh_from_db()
    url = urlparse(pay["Location"])
    query = parse_qs(url.query)
    order = fake_wechatpay.orders[gift.external_id]
    assert (url.scheme, url.netloc) == ("https", "wx.tenpay.com")
    assert query["redirect_url"] == [f"http://testserver/donate/gift/{gift.access_token}/status/"]
    assert order["kind"] == "h5"
    assert order["request"]["scene_info"]["h5_info"] == {"type": "Wap"}
    assert order["request"]["scene_info"]["payer_client_ip"] == "127.0.0.1"
    assert gift.payment_code == ""


def test_inside_wechat_the_qr_code_is_long_pressed(client, fake_wechatpay, pool):
    gift, pay = give(client, ua=IN_WECHAT)

    page = client.get(pay["Location"], HTTP_USER_AGENT=IN_WECHAT)

    assert fake_wechatpay.orders[gift.external_id]["kind"] == "native"
    assert "长按" in page.content.decode()


def test_device_order_puts_wechat_pay_first_inside_wechat(fake_wechatpay, fake_stripe):
    assert device_of(IN_WECHAT) == "wechat"
    assert device_of(PHONE) == "mobile"
    assert device_of(DESKTOP) == "desktop"
    assert online_methods(IN_WECHAT) == ["wechatpay", "stripe"]
    assert online_methods(DESKTOP) == ["wechatpay", "stripe"]


def test_donor_chooses_between_configured_providers(client, fake_wechatpay, fake_stripe, pool):
    MatchedProjectFactory(slug="give-here")
    page = client.get("/donate/give-here/", HTTP_USER_AGENT=DESKTOP)
    response = client.post(
        "/donate/give-here/",
        {
            "method": "stripe",
            "preset": "10000",
            "donor_email": "a@example.org",
            "anonymity": "none",
        },
    )

    html = page.content.decode()
    assert "支付方式" in html
    assert html.index('value="wechatpay"') < html.index('value="stripe"')
    assert response.status_code == 302
    assert Donation.objects.get().source == DonationSource.STRIPE


def test_the_only_provider_is_named_on_the_donate_page(client, fake_wechatpay, pool):
    MatchedProjectFactory(slug="give-here")

    html = client.get("/donate/give-here/").content.decode()

    assert '<p class="meta" id="payment-method">支付方式: 微信支付</p>' in html
    assert 'name="method"' not in html


def test_no_wechat_pay_without_settings(client, pool, settings):
    settings.WECHATPAY_MCHID = ""
    MatchedProjectFactory(slug="give-here")

    page = client.get("/donate/give-here/")
    answer = client.post(URL, data="{}", content_type="application/json")

    assert 'value="wechatpay"' not in page.content.decode()
    assert answer.status_code == 400
    assert not InboundEvent.objects.exists()


def test_provider_down_fails_the_gift_and_releases_match(client, fake_wechatpay, pool):
    fake_wechatpay.fail = True

    gift, pay = give(client)

    gift.refresh_from_db()
    assert "支付服务暂时不可用" in pay.content.decode()
    assert gift.status == DonationStatus.FAILED
    assert pool_available(pool) == 100_000


def test_forged_answer_of_the_api_is_refused(client, fake_wechatpay, pool):
    fake_wechatpay.sign_with = wx.keys()["stranger"]

    gift, pay = give(client)

    gift.refresh_from_db()
    assert pay.status_code == 200
    assert gift.status == DonationStatus.FAILED
    assert gift.payment_code == ""


# --- notifications --------------------------------------------------------------------


def test_paid_notification_counts_the_gift_once(client, fake_wechatpay, pool):
    gift, _pay = give(client)
    gift.refresh_from_db()
    resource = fake_wechatpay.pay(gift.external_id)

    first = notify(client, "TRANSACTION.SUCCESS", resource, event_id="EV-1")
    again = notify(client, "TRANSACTION.SUCCESS", resource, event_id="EV-1")
    other_id = notify(client, "TRANSACTION.SUCCESS", resource, event_id="EV-2")
    drain()

    gift.refresh_from_db()
    assert (first.status_code, again.status_code, other_id.status_code) == (204, 204, 204)
    assert first.content == b""
    assert InboundEvent.objects.filter(provider="wechatpay").count() == 2
    assert gift.status == DonationStatus.SUCCEEDED
    assert gift.payment_intent == resource["transaction_id"]
    assert postings(gift) == 1
    assert MatchReservation.objects.get(donation=gift).status == ReservationStatus.CONFIRMED
    assert reconcile().ok, reconcile().problems


@pytest.mark.parametrize(
    "forgery",
    ["stranger_key", "stale", "future", "wrong_serial", "wrong_apiv3_key", "no_signature"],
)
def test_untrusted_notifications_are_refused_and_nothing_is_stored(
    client, fake_wechatpay, pool, forgery
):
    gift, _pay = give(client)
    gift.refresh_from_db()
    resource = fake_wechatpay.pay(gift.external_id)
    body = wx.notification_body(
        "TRANSACTION.SUCCESS",
        resource,
        key="x" * 32 if forgery == "wrong_apiv3_key" else wx.API_V3_KEY,
    )
    headers = wx.signed_headers(
        body,
        key=wx.keys()["stranger"] if forgery == "stranger_key" else None,
        timestamp={"stale": int(time.time()) - 301, "future": int(time.time()) + 301}.get(forgery),
        serial="PUB_KEY_ID_SOMEONE_ELSE" if forgery == "wrong_serial" else wx.PUBLIC_KEY_ID,
    )
    if forgery == "no_signature":
        del headers["Wechatpay-Signature"]

    response = client.post(
        URL, data=body, content_type="application/json", **wx.wsgi_headers(headers)
    )

    gift.refresh_from_db()
    assert response.status_code == 400
    assert response.json()["code"] == "FAIL"
    assert not InboundEvent.objects.exists()
    assert gift.status == DonationStatus.PENDING


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[]",
        '{"id": "EV-9", "event_type": "TRANSACTION.SUCCESS", "resource_type": "encrypt-resource"}',
        '{"id": "EV-9", "event_type": "TRANSACTION.SUCCESS", "resource_type": "encrypt-resource",'
        ' "resource": {"algorithm": "AEAD_AES_256_GCM", "nonce": "", "ciphertext": "!!"}}',
        '{"id": "EV-9", "event_type": "TRANSACTION.SUCCESS", "resource_type": "encrypt-resource",'
        ' "resource": {"algorithm": "RSA", "nonce": "abcdefabcdef", "ciphertext": "AAAA"}}',
        b"\xff\xfe not utf-8",
    ],
)
def test_signed_but_malformed_bodies_are_refused_without_5xx(client, fake_wechatpay, body):
    raw = body if isinstance(body, bytes) else body.encode()
    text = raw.decode("utf-8", errors="replace")
    headers = wx.signed_headers(text)

    response = client.post(
        URL, data=raw, content_type="application/json", **wx.wsgi_headers(headers)
    )

    assert response.status_code == 400
    assert not InboundEvent.objects.exists()


def test_decrypted_resource_of_the_wrong_shape_is_kept_and_ignored(client, fake_wechatpay, pool):
    gift, _pay = give(client)
    gift.refresh_from_db()
    resource = fake_wechatpay.pay(gift.external_id, amount={"total": "100.00", "currency": "CNY"})

    response = notify(client, "TRANSACTION.SUCCESS", resource, event_id="EV-shape")
    drain()

    gift.refresh_from_db()
    event = InboundEvent.objects.get(event_id="EV-shape")
    assert response.status_code == 204
    assert event.status == "ignored"
    assert event.outcome.startswith("malformed: total is not an amount")
    assert gift.status == DonationStatus.PENDING


def test_unknown_order_is_ignored_with_a_reason(client, fake_wechatpay, pool):
    resource = {
        "out_trade_no": "G999999T1",
        "transaction_id": "4200000000000000000000000001",
        "trade_state": "SUCCESS",
        "attach": "999999",
        "amount": {"total": 10_000, "currency": "CNY"},
    }

    response = notify(client, "TRANSACTION.SUCCESS", resource, event_id="EV-unknown")
    drain()

    event = InboundEvent.objects.get(event_id="EV-unknown")
    assert response.status_code == 204
    assert (event.status, event.outcome) == ("ignored", "unknown payment")
    assert not LedgerTransaction.objects.filter(kind=TransactionKind.DONATION).exists()


@pytest.mark.parametrize(
    ("amount", "reason"),
    [
        ({"total": 9_000, "currency": "CNY"}, "received 9000 CNY"),
        ({"total": 10_000, "currency": "USD"}, "received 10000 USD"),
    ],
)
def test_amount_or_currency_mismatch_is_flagged_not_counted(
    client, fake_wechatpay, pool, amount, reason
):
    gift, _pay = give(client)
    gift.refresh_from_db()
    resource = fake_wechatpay.pay(gift.external_id, amount=amount)

    notify(client, "TRANSACTION.SUCCESS", resource)
    drain()

    gift.refresh_from_db()
    assert gift.flagged
    assert reason in gift.flag_reason
    assert postings(gift) == 0
    assert pool_available(pool) == 100_000
    assert reconcile().ok, reconcile().problems


def test_payment_after_the_reservation_expired_still_counts(client, fake_wechatpay, pool):
    gift, _pay = give(client)
    gift.refresh_from_db()
    expire_reservations(now=timezone.now() + timedelta(hours=1))
    assert pool_available(pool) == 100_000
    resource = fake_wechatpay.pay(gift.external_id)

    notify(client, "TRANSACTION.SUCCESS", resource)
    drain()

    gift.refresh_from_db()
    assert gift.status == DonationStatus.SUCCEEDED
    assert postings(gift) == 1
    confirmed = MatchReservation.objects.filter(
        donation=gift, status=ReservationStatus.CONFIRMED
    ).values_list("amount", flat=True)
    assert sum(confirmed) == 10_000
    assert pool_available(pool) == 90_000
    assert reconcile().ok, reconcile().problems


def _refund_resource(gift, paid, *, refund_id, refund, total=None):
    return {
        "mchid": wx.MCHID,
        "out_trade_no": gift.external_id,
        "transaction_id": paid["transaction_id"],
        "out_refund_no": f"R-{refund_id}",
        "refund_id": refund_id,
        "refund_status": "SUCCESS",
        "amount": {
            "total": gift.amount if total is None else total,
            "refund": refund,
            "payer_total": gift.amount,
            "payer_refund": refund,
        },
    }


def test_refund_before_the_payment_notification(client, fake_wechatpay, pool):
    gift, _pay = give(client)
    gift.refresh_from_db()
    paid = fake_wechatpay.pay(gift.external_id)

    notify(client, "REFUND.SUCCESS", _refund_resource(gift, paid, refund_id="503-A", refund=10_000))
    notify(client, "TRANSACTION.SUCCESS", paid)
    drain()

    gift.refresh_from_db()
    assert gift.status == DonationStatus.SUCCEEDED
    assert gift.refunded_amount == 10_000
    assert postings(gift) == 1
    assert postings(gift, TransactionKind.DONATION_REVERSAL) == 1
    assert pool_available(pool) == 100_000
    assert reconcile().ok, reconcile().problems


def test_partial_refunds_each_once_reverse_gift_and_match(client, fake_wechatpay, pool):
    gift, _pay = give(client)
    gift.refresh_from_db()
    paid = fake_wechatpay.pay(gift.external_id)
    notify(client, "TRANSACTION.SUCCESS", paid)
    first = _refund_resource(gift, paid, refund_id="503-A", refund=3_000)
    second = _refund_resource(gift, paid, refund_id="503-B", refund=2_000)

    notify(client, "REFUND.SUCCESS", first, event_id="EV-R1")
    notify(client, "REFUND.SUCCESS", first, event_id="EV-R1-again")  # a new notification id
    notify(client, "REFUND.SUCCESS", second, event_id="EV-R2")
    drain()

    gift.refresh_from_db()
    assert gift.refunded_amount == 5_000
    assert ProviderRefund.objects.filter(donation=gift).count() == 2
    assert postings(gift, TransactionKind.DONATION_REVERSAL) == 2
    assert pool_available(pool) == 95_000
    assert reconcile().ok, reconcile().problems


def test_failed_refund_notifications_move_no_money(client, fake_wechatpay, pool):
    gift, _pay = give(client)
    gift.refresh_from_db()
    paid = fake_wechatpay.pay(gift.external_id)
    notify(client, "TRANSACTION.SUCCESS", paid)
    resource = _refund_resource(gift, paid, refund_id="503-X", refund=10_000)
    resource["refund_status"] = "ABNORMAL"

    notify(client, "REFUND.ABNORMAL", resource, event_id="EV-abn")
    drain()

    gift.refresh_from_db()
    assert gift.refunded_amount == 0
    assert InboundEvent.objects.get(event_id="EV-abn").status == "ignored"


# --- refunds asked by finance -----------------------------------------------------------


def test_finance_refund_goes_to_wechat_pay_and_follows_its_notification(
    client, fake_wechatpay, pool, finance_users
):
    gift, _pay = give(client)
    gift.refresh_from_db()
    notify(client, "TRANSACTION.SUCCESS", fake_wechatpay.pay(gift.external_id))
    drain()
    gift.refresh_from_db()

    stored = request_refund(
        donation=gift, amount=4_000, seen_refunded=0, by=finance_users[0], reason="捐赠人申请"
    )
    with pytest.raises(InvalidTransition):  # a repeated click while it is PROCESSING
        request_refund(donation=gift, amount=4_000, seen_refunded=0, by=finance_users[0])
    gift.refresh_from_db()
    refunded_before_notice = gift.refunded_amount
    (out_refund_no,) = fake_wechatpay.refunds
    notify(client, "REFUND.SUCCESS", fake_wechatpay.refund_resource(out_refund_no))
    drain()

    gift.refresh_from_db()
    sent = [r for r in fake_wechatpay.requests if r["path"] == "/v3/refund/domestic/refunds"]
    assert (stored, refunded_before_notice, len(sent)) == (0, 0, 1)
    assert sent[0]["body"]["amount"] == {"refund": 4_000, "total": 10_000, "currency": "CNY"}
    assert sent[0]["body"]["transaction_id"] == gift.payment_intent
    assert gift.refunded_amount == 4_000
    assert pool_available(pool) == 94_000
    assert reconcile().ok, reconcile().problems


def test_refund_that_succeeds_at_once_is_applied_once(client, fake_wechatpay, pool, finance_users):
    fake_wechatpay.refund_status = "SUCCESS"
    gift, _pay = give(client)
    gift.refresh_from_db()
    notify(client, "TRANSACTION.SUCCESS", fake_wechatpay.pay(gift.external_id))
    drain()
    gift.refresh_from_db()

    stored = request_refund(donation=gift, amount=10_000, seen_refunded=0, by=finance_users[0])
    drain()
    with pytest.raises(InvalidTransition):  # a second click after the first completed
        request_refund(donation=gift, amount=10_000, seen_refunded=0, by=finance_users[0])
    (out_refund_no,) = fake_wechatpay.refunds
    notify(client, "REFUND.SUCCESS", fake_wechatpay.refund_resource(out_refund_no))
    drain()

    gift.refresh_from_db()
    assert stored == 1
    assert gift.refunded_amount == 10_000
    assert postings(gift, TransactionKind.DONATION_REVERSAL) == 1
    assert pool_available(pool) == 100_000


def test_refund_is_refused_to_non_finance_and_above_what_is_left(
    client, fake_wechatpay, pool, finance_users
):
    from tests.factories.organizations import UserFactory

    gift, _pay = give(client)
    gift.refresh_from_db()
    notify(client, "TRANSACTION.SUCCESS", fake_wechatpay.pay(gift.external_id))
    drain()
    gift.refresh_from_db()
    staff = UserFactory(is_staff=True)

    with pytest.raises(PermissionDenied):
        request_refund(donation=gift, amount=1_000, seen_refunded=0, by=staff)
    with pytest.raises(InvalidTransition):
        request_refund(donation=gift, amount=10_001, seen_refunded=0, by=finance_users[0])
    assert not fake_wechatpay.refunds


# --- late notifications: order query ------------------------------------------------------


def test_payment_page_poll_queries_the_order_when_the_notification_is_late(
    client, fake_wechatpay, pool
):
    gift, _pay = give(client)
    gift.refresh_from_db()
    state_url = f"/donate/gift/{gift.access_token}/state.json"

    waiting = client.get(state_url).json()
    fake_wechatpay.pay(gift.external_id)
    from django.core.cache import cache

    cache.delete(f"funding:sync:{gift.pk}")
    done = client.get(state_url).json()

    gift.refresh_from_db()
    assert waiting == {"status": "pending", "done": False}
    assert done == {"status": "succeeded", "done": True}
    assert postings(gift) == 1


def test_poll_asks_the_provider_at_most_every_few_seconds(client, fake_wechatpay, pool):
    gift, _pay = give(client)
    gift.refresh_from_db()
    state_url = f"/donate/gift/{gift.access_token}/state.json"

    for _ in range(5):
        client.get(state_url)

    queries = [r for r in fake_wechatpay.requests if r["method"] == "GET"]
    assert len(queries) == 1


def test_reconcile_sync_counts_a_late_payment_and_closes_an_expired_order(
    client, fake_wechatpay, pool
):
    from django.core.management import call_command

    paid_gift, _ = give(client)
    open_gift, _ = give(client, slug="second")
    paid_gift.refresh_from_db()
    open_gift.refresh_from_db()
    paid = fake_wechatpay.pay(paid_gift.external_id)
    Donation.objects.filter(pk=open_gift.pk).update(
        checkout_expires_at=timezone.now() - timedelta(minutes=1)
    )

    call_command("reconcile", "--sync-providers")
    # the real notification arriving afterwards changes nothing
    notify(client, "TRANSACTION.SUCCESS", paid)
    drain()

    paid_gift.refresh_from_db()
    open_gift.refresh_from_db()
    assert paid_gift.status == DonationStatus.SUCCEEDED
    assert postings(paid_gift) == 1
    assert open_gift.status == DonationStatus.EXPIRED
    assert reconcile().ok, reconcile().problems


def _officer(username, role=True):
    from django.contrib.auth.models import Group, Permission

    from organizations.roles import FINANCE_OFFICER
    from tests.factories.organizations import UserFactory

    user = UserFactory(username=username, is_staff=True)
    group = Group.objects.get_or_create(name=FINANCE_OFFICER if role else "editors")[0]
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    user.groups.add(group)
    return user


def test_finance_refunds_from_the_donation_review_page(client, fake_wechatpay, pool):
    gift, _pay = give(client)
    gift.refresh_from_db()
    notify(client, "TRANSACTION.SUCCESS", fake_wechatpay.pay(gift.external_id))
    drain()
    url = f"/admin/funding_donations/review/{gift.pk}/"
    client.force_login(_officer("fin-refund"))

    page = client.get(url)
    bad = client.post(
        url, {"action": "refund", "refund_amount": "abc", "seen_refunded": "0"}, follow=True
    )
    too_much = client.post(
        url, {"action": "refund", "refund_amount": "100.01", "seen_refunded": "0"}, follow=True
    )
    done = client.post(
        url,
        {"action": "refund", "refund_amount": "25", "seen_refunded": "0", "refund_reason": "退"},
        follow=True,
    )
    (out_refund_no,) = fake_wechatpay.refunds
    notify(client, "REFUND.SUCCESS", fake_wechatpay.refund_resource(out_refund_no))
    drain()

    gift.refresh_from_db()
    assert 'id="refund-form"' in page.content.decode()
    assert "请以元为单位填写退款金额" in bad.content.decode()
    assert "退款金额须大于零且不超过 10000 分" in too_much.content.decode()
    assert "已申请退款" in done.content.decode()
    assert fake_wechatpay.refunds[out_refund_no]["amount"]["refund"] == 2_500
    assert gift.refunded_amount == 2_500
    assert reconcile().ok, reconcile().problems


def test_refund_form_is_refused_to_staff_without_the_finance_role(client, fake_wechatpay, pool):
    gift, _pay = give(client)
    gift.refresh_from_db()
    notify(client, "TRANSACTION.SUCCESS", fake_wechatpay.pay(gift.external_id))
    drain()
    client.force_login(_officer("editor", role=False))

    response = client.post(
        f"/admin/funding_donations/review/{gift.pk}/",
        {"action": "refund", "refund_amount": "25", "seen_refunded": "0"},
    )

    # the Wagtail admin answers a PermissionDenied with a redirect to its dashboard
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert not fake_wechatpay.refunds


@pytest.mark.parametrize("stamp", ["\u00b2", "\u00b9\u00b2\u00b3", "\u2460", "１７"])
def test_timestamp_of_non_ascii_digits_is_refused_not_5xx(fake_wechatpay, stamp):
    """'²' (the latin-1 byte 0xB2 in a raw header) passes str.isdigit() but not int()."""
    from django.test import Client

    client = Client(raise_request_exception=False)
    response = client.post(
        URL,
        data='{"id": "x"}',
        content_type="application/json",
        HTTP_WECHATPAY_TIMESTAMP=stamp,
        HTTP_WECHATPAY_NONCE="n",
        HTTP_WECHATPAY_SIGNATURE="s",
        HTTP_WECHATPAY_SERIAL=wx.PUBLIC_KEY_ID,
    )

    assert response.status_code == 400
    assert not InboundEvent.objects.exists()
