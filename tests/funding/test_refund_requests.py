"""Refund requests (funding.models.RefundRequest): one refund in flight per gift, settled
by the provider's answer, notification or query — against the local WeChat Pay and Alipay
fakes (tests/funding/*_fake.py)."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from funding.enums import RefundRequestStatus, TransactionKind
from funding.errors import InvalidTransition, PaymentProviderError, ProviderRefused
from funding.models import InboundEvent, ProviderRefund, RefundRequest
from funding.providers import wechatpay
from funding.services.matching import pool_available
from funding.services.provider_sync import sync_refund_requests
from funding.services.reconcile import reconcile
from funding.services.refunds import request_refund
from tests.factories.funding import MatchingRuleFactory
from tests.factories.funding import funded_pool as make_pool

from . import test_alipay as ali_flow
from . import test_wechatpay as wx_flow

pytestmark = pytest.mark.django_db
REQUESTED, SUCCEEDED, FAILED = (
    RefundRequestStatus.REQUESTED,
    RefundRequestStatus.SUCCEEDED,
    RefundRequestStatus.FAILED,
)


@pytest.fixture
def pool():
    MatchingRuleFactory()
    return make_pool(100_000)


def paid_wechat_gift(client, fake):
    gift, _pay = wx_flow.give(client)
    gift.refresh_from_db()
    wx_flow.notify(client, "TRANSACTION.SUCCESS", fake.pay(gift.external_id))
    wx_flow.drain()
    gift.refresh_from_db()
    return gift


def paid_alipay_gift(client, fake):
    gift, _pay, _trade = ali_flow.give(client, fake)
    gift.refresh_from_db()
    fake.pay(gift.external_id)
    ali_flow.notify(client, fake.notification(gift.external_id))
    ali_flow.drain()
    gift.refresh_from_db()
    return gift


def reversals(gift):
    return gift.transactions.filter(kind=TransactionKind.DONATION_REVERSAL).count()


def age_requests(minutes):
    RefundRequest.objects.update(created_at=timezone.now() - timedelta(minutes=minutes))


# --- the attack: a second refund while the first is PROCESSING ----------------------------


def test_second_refund_with_another_amount_while_first_processing_is_refused(
    client, fake_wechatpay, pool, finance_users
):
    gift = paid_wechat_gift(client, fake_wechatpay)
    request_refund(donation=gift, amount=4_000, seen_refunded=0, by=finance_users[0])

    with pytest.raises(InvalidTransition) as refused:
        request_refund(donation=gift, amount=3_000, seen_refunded=0, by=finance_users[1])

    (row,) = RefundRequest.objects.filter(donation=gift)
    assert [r["out_refund_no"] for r in fake_wechatpay.refund_requests()] == [row.out_refund_no]
    assert (row.status, row.amount, row.provider_status) == (REQUESTED, 4_000, "PROCESSING")
    assert row.out_refund_no == f"R{gift.pk}-1"
    assert row.requested_by == finance_users[0]
    assert "尚未得到支付渠道的答复" in str(refused.value.messages[0])
    assert row.out_refund_no in str(refused.value.messages[0])


def test_second_refund_from_the_admin_page_is_a_message_not_an_error(
    client, fake_wechatpay, pool, finance_users
):
    gift = paid_wechat_gift(client, fake_wechatpay)
    request_refund(donation=gift, amount=4_000, seen_refunded=0, by=finance_users[0])
    client.force_login(finance_users[1])
    url = f"/admin/funding_donations/review/{gift.pk}/"

    response = client.post(
        url, {"action": "refund", "refund_amount": "30", "seen_refunded": "0"}, follow=True
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert response.redirect_chain == [(url, 302)]
    assert "尚未得到支付渠道的答复" in html
    assert 'id="refund-waiting"' in html
    assert 'id="refund-form"' not in html
    assert len(fake_wechatpay.refund_requests()) == 1
    assert RefundRequest.objects.filter(donation=gift).count() == 1


# --- failed refunds -----------------------------------------------------------------------


def test_abnormal_refund_is_shown_to_finance_and_a_new_refund_may_then_be_asked(
    client, fake_wechatpay, pool, finance_users
):
    gift = paid_wechat_gift(client, fake_wechatpay)
    request_refund(donation=gift, amount=4_000, seen_refunded=0, by=finance_users[0])
    first = RefundRequest.objects.get()
    wx_flow.notify(
        client,
        "REFUND.ABNORMAL",
        fake_wechatpay.refund_resource(first.out_refund_no, "ABNORMAL"),
        event_id="EV-abnormal",
    )
    wx_flow.drain()
    client.force_login(finance_users[0])
    page = client.get(f"/admin/funding_donations/review/{gift.pk}/").content.decode()

    request_refund(donation=gift, amount=4_000, seen_refunded=0, by=finance_users[1])
    second = RefundRequest.objects.exclude(pk=first.pk).get()
    wx_flow.notify(client, "REFUND.SUCCESS", fake_wechatpay.refund_resource(second.out_refund_no))
    wx_flow.drain()

    first.refresh_from_db()
    second.refresh_from_db()
    gift.refresh_from_db()
    assert (first.status, first.provider_status) == (FAILED, "ABNORMAL")
    assert first.settled_at is not None
    assert InboundEvent.objects.get(event_id="EV-abnormal").status == "applied"
    assert "退款异常" in page and first.out_refund_no in page
    assert 'id="refund-form"' in page
    assert second.out_refund_no == f"R{gift.pk}-2"
    assert [r["out_refund_no"] for r in fake_wechatpay.refund_requests()] == [
        first.out_refund_no,
        second.out_refund_no,
    ]
    assert second.status == SUCCEEDED
    assert gift.refunded_amount == 4_000
    assert pool_available(pool) == 94_000
    assert reconcile().ok, reconcile().problems


def test_refund_refused_by_wechat_pay_is_marked_failed_and_another_may_be_asked(
    client, fake_wechatpay, pool, finance_users
):
    gift = paid_wechat_gift(client, fake_wechatpay)
    fake_wechatpay.refund_refusal = ("NOT_ENOUGH", "基本账户余额不足")

    with pytest.raises(ProviderRefused) as refused:
        request_refund(donation=gift, amount=4_000, seen_refunded=0, by=finance_users[0])
    fake_wechatpay.refund_refusal = None
    request_refund(donation=gift, amount=2_000, seen_refunded=0, by=finance_users[0])

    first, second = RefundRequest.objects.order_by("pk")
    assert (first.status, first.provider_status, first.provider_reason) == (
        FAILED,
        "NOT_ENOUGH",
        "基本账户余额不足",
    )
    assert "支付渠道拒绝了退款（NOT_ENOUGH 基本账户余额不足）" in str(refused.value.messages[0])
    assert (second.status, second.amount) == (REQUESTED, 2_000)
    assert len(fake_wechatpay.refunds) == 1


def test_refund_cannot_exceed_what_is_left(client, fake_wechatpay, pool, finance_users):
    gift = paid_wechat_gift(client, fake_wechatpay)
    request_refund(donation=gift, amount=6_000, seen_refunded=0, by=finance_users[0])
    (row,) = RefundRequest.objects.all()
    wx_flow.notify(client, "REFUND.SUCCESS", fake_wechatpay.refund_resource(row.out_refund_no))
    wx_flow.drain()
    gift.refresh_from_db()

    with pytest.raises(InvalidTransition) as refused:
        request_refund(donation=gift, amount=4_001, seen_refunded=6_000, by=finance_users[0])

    assert refused.value.detail == "bad refund amount"
    assert "4000" in str(refused.value.messages[0])
    assert len(fake_wechatpay.refund_requests()) == 1


# --- duplicate and out-of-order notifications -------------------------------------------------


def test_duplicate_and_late_abnormal_notifications_change_nothing_after_success(
    client, fake_wechatpay, pool, finance_users
):
    gift = paid_wechat_gift(client, fake_wechatpay)
    request_refund(donation=gift, amount=4_000, seen_refunded=0, by=finance_users[0])
    (row,) = RefundRequest.objects.all()
    success = fake_wechatpay.refund_resource(row.out_refund_no)

    wx_flow.notify(client, "REFUND.SUCCESS", success, event_id="EV-1")
    wx_flow.notify(client, "REFUND.SUCCESS", success, event_id="EV-1")  # re-delivery
    wx_flow.notify(client, "REFUND.SUCCESS", success, event_id="EV-2")  # another id
    wx_flow.notify(
        client,
        "REFUND.ABNORMAL",
        fake_wechatpay.refund_resource(row.out_refund_no, "ABNORMAL"),
        event_id="EV-3",
    )
    wx_flow.drain()

    row.refresh_from_db()
    gift.refresh_from_db()
    assert (row.status, row.provider_status) == (SUCCEEDED, "SUCCESS")
    assert gift.refunded_amount == 4_000
    assert ProviderRefund.objects.filter(donation=gift).count() == 1
    assert reversals(gift) == 1
    assert InboundEvent.objects.get(event_id="EV-3").outcome.endswith("already succeeded")
    assert reconcile().ok, reconcile().problems


def test_abnormal_then_success_of_the_same_refund_ends_succeeded_and_counts_once(
    client, fake_wechatpay, pool, finance_users
):
    gift = paid_wechat_gift(client, fake_wechatpay)
    request_refund(donation=gift, amount=4_000, seen_refunded=0, by=finance_users[0])
    (row,) = RefundRequest.objects.all()

    wx_flow.notify(
        client,
        "REFUND.ABNORMAL",
        fake_wechatpay.refund_resource(row.out_refund_no, "ABNORMAL"),
        event_id="EV-A",
    )
    wx_flow.drain()
    row.refresh_from_db()
    after_abnormal = row.status
    wx_flow.notify(
        client, "REFUND.SUCCESS", fake_wechatpay.refund_resource(row.out_refund_no), event_id="S"
    )
    wx_flow.drain()

    row.refresh_from_db()
    gift.refresh_from_db()
    assert (after_abnormal, row.status) == (FAILED, SUCCEEDED)
    assert gift.refunded_amount == 4_000
    assert reversals(gift) == 1


# --- no answer, crash, provider sync, reconcile ------------------------------------------------


def test_no_answer_keeps_the_request_open_until_the_query_finds_it_never_arrived(
    client, fake_wechatpay, pool, finance_users
):
    gift = paid_wechat_gift(client, fake_wechatpay)
    fake_wechatpay.fail = True

    with pytest.raises(PaymentProviderError) as unanswered:
        request_refund(donation=gift, amount=4_000, seen_refunded=0, by=finance_users[0])
    fake_wechatpay.fail = False
    with pytest.raises(InvalidTransition):
        request_refund(donation=gift, amount=1_000, seen_refunded=0, by=finance_users[0])
    too_young = sync_refund_requests()
    age_requests(11)
    synced = sync_refund_requests()
    wx_flow.drain()

    (row,) = RefundRequest.objects.all()
    assert "退款申请 " + row.out_refund_no + " 已记录" in str(unanswered.value.messages[0])
    assert (too_young.asked, synced.asked, synced.stored) == (0, 1, 1)
    assert (row.status, row.provider_status) == (FAILED, "NOT_FOUND")
    assert len(fake_wechatpay.refunds) == 0


def test_crash_after_the_request_is_committed_is_settled_by_the_query(
    client, fake_wechatpay, pool, finance_users, monkeypatch
):
    """The refund reached WeChat Pay and succeeded, but its answer was lost (or the
    process died before storing it): the query finds it and the ledger moves once."""
    gift = paid_wechat_gift(client, fake_wechatpay)
    fake_wechatpay.refund_status = "SUCCESS"
    real_refund = wechatpay.refund

    def refund_then_crash(**kwargs):
        real_refund(**kwargs)
        raise PaymentProviderError("connection reset")

    monkeypatch.setattr(wechatpay, "refund", refund_then_crash)
    with pytest.raises(PaymentProviderError):
        request_refund(donation=gift, amount=4_000, seen_refunded=0, by=finance_users[0])
    gift.refresh_from_db()
    before_sync = gift.refunded_amount
    age_requests(30)

    out = StringIO()
    call_command("reconcile", "--sync-providers", stdout=out)
    call_command("reconcile", "--sync-providers", stdout=StringIO())

    (row,) = RefundRequest.objects.all()
    gift.refresh_from_db()
    assert before_sync == 0
    assert "providers asked about 1 unreported refunds: 1 new answers, 0 errors" in out.getvalue()
    assert row.status == SUCCEEDED
    assert gift.refunded_amount == 4_000
    assert reversals(gift) == 1
    assert pool_available(pool) == 94_000


def test_processing_refund_stays_open_after_the_query(client, fake_wechatpay, pool, finance_users):
    gift = paid_wechat_gift(client, fake_wechatpay)
    request_refund(donation=gift, amount=4_000, seen_refunded=0, by=finance_users[0])
    age_requests(11)

    synced = sync_refund_requests()

    (row,) = RefundRequest.objects.all()
    assert (synced.asked, synced.stored) == (1, 0)
    assert (row.status, row.provider_status) == (REQUESTED, "PROCESSING")


def test_reconcile_flags_a_request_unreported_for_more_than_a_day(
    client, fake_wechatpay, pool, finance_users
):
    gift = paid_wechat_gift(client, fake_wechatpay)
    request_refund(donation=gift, amount=4_000, seen_refunded=0, by=finance_users[0])
    (row,) = RefundRequest.objects.all()

    fresh = reconcile()
    later = reconcile(now=timezone.now() + timedelta(hours=25))

    assert fresh.ok, fresh.problems
    assert len(later.problems) == 1
    assert later.problems[0].startswith(f"refund request {row.out_refund_no} of gift {gift.pk}")
    assert later.problems[0].endswith("has had no provider answer for more than a day")


# --- database rules ------------------------------------------------------------------------------


def test_database_refuses_a_second_open_request_and_a_zero_amount(
    client, fake_wechatpay, pool, finance_users
):
    gift = paid_wechat_gift(client, fake_wechatpay)
    RefundRequest.objects.create(donation=gift, out_refund_no="X-1", amount=100)

    with pytest.raises(IntegrityError), transaction.atomic():
        RefundRequest.objects.create(donation=gift, out_refund_no="X-2", amount=100)
    with pytest.raises(IntegrityError), transaction.atomic():
        RefundRequest.objects.create(donation=gift, out_refund_no="X-3", amount=0, status=FAILED)
    RefundRequest.objects.filter(out_refund_no="X-1").update(status=FAILED)
    RefundRequest.objects.create(donation=gift, out_refund_no="X-4", amount=100)

    assert sorted(RefundRequest.objects.values_list("out_refund_no", flat=True)) == ["X-1", "X-4"]


# --- Alipay ---------------------------------------------------------------------------------


def test_alipay_refund_answer_settles_the_request(client, fake_alipay, pool, finance_users):
    gift = paid_alipay_gift(client, fake_alipay)

    request_refund(donation=gift, amount=4_000, seen_refunded=0, by=finance_users[0])
    ali_flow.drain()
    # Alipay's own notification of the same refund names it too
    (row,) = RefundRequest.objects.all()
    ali_flow.notify(
        client,
        fake_alipay.notification(
            gift.external_id, refund_fee="40.00", out_biz_no=row.out_refund_no
        ),
    )
    ali_flow.drain()
    request_refund(donation=gift, amount=1_000, seen_refunded=4_000, by=finance_users[0])
    ali_flow.drain()

    first, second = RefundRequest.objects.order_by("pk")
    gift.refresh_from_db()
    sent = [
        json.loads(r["biz_content"])["out_request_no"]
        for r in fake_alipay.requests
        if r.get("method") == "alipay.trade.refund"
    ]
    assert sent == [f"R{gift.pk}-1", f"R{gift.pk}-2"]
    assert (first.status, second.status) == (SUCCEEDED, SUCCEEDED)
    assert gift.refunded_amount == 5_000
    assert reversals(gift) == 2
    assert reconcile().ok, reconcile().problems


def test_alipay_refusal_marks_the_request_failed(client, fake_alipay, pool, finance_users):
    gift = paid_alipay_gift(client, fake_alipay)
    fake_alipay.refund_refusal = ("ACQ.SELLER_BALANCE_NOT_ENOUGH", "卖家余额不足")

    with pytest.raises(ProviderRefused):
        request_refund(donation=gift, amount=4_000, seen_refunded=0, by=finance_users[0])

    (row,) = RefundRequest.objects.all()
    gift.refresh_from_db()
    assert (row.status, row.provider_status, row.provider_reason) == (
        FAILED,
        "ACQ.SELLER_BALANCE_NOT_ENOUGH",
        "卖家余额不足",
    )
    assert gift.refunded_amount == 0


def test_alipay_lost_answer_is_found_by_the_query_and_counted_once(
    client, fake_alipay, pool, finance_users, monkeypatch
):
    from funding.providers import alipay

    gift = paid_alipay_gift(client, fake_alipay)
    real_refund = alipay.refund
    calls = []

    def refund_then_lose_answer(**kwargs):
        real_refund(**kwargs)
        calls.append(kwargs["out_refund_no"])
        raise PaymentProviderError("answer lost")

    monkeypatch.setattr(alipay, "refund", refund_then_lose_answer)
    with pytest.raises(PaymentProviderError):
        request_refund(donation=gift, amount=4_000, seen_refunded=0, by=finance_users[0])
    monkeypatch.setattr(alipay, "refund", real_refund)
    age_requests(11)

    synced = sync_refund_requests()
    ali_flow.drain()

    (row,) = RefundRequest.objects.all()
    gift.refresh_from_db()
    assert (synced.asked, synced.stored) == (1, 1)
    assert calls == [row.out_refund_no]
    assert row.status == SUCCEEDED
    assert len(fake_alipay.refunds) == 1
    assert gift.refunded_amount == 4_000
    assert reversals(gift) == 1


def test_alipay_request_that_never_arrived_is_failed_by_the_query(
    client, fake_alipay, pool, finance_users, monkeypatch
):
    from funding.providers import alipay

    gift = paid_alipay_gift(client, fake_alipay)

    def never_sent(**kwargs):
        raise PaymentProviderError("process died before the call")

    monkeypatch.setattr(alipay, "refund", never_sent)
    with pytest.raises(PaymentProviderError):
        request_refund(donation=gift, amount=4_000, seen_refunded=0, by=finance_users[0])
    monkeypatch.undo()
    age_requests(11)

    sync_refund_requests()
    ali_flow.drain()
    request_refund(donation=gift, amount=3_000, seen_refunded=0, by=finance_users[0])
    ali_flow.drain()

    first, second = RefundRequest.objects.order_by("pk")
    gift.refresh_from_db()
    assert (first.status, first.provider_status) == (FAILED, "NOT_FOUND")
    assert second.status == SUCCEEDED
    assert gift.refunded_amount == 3_000
