"""Two finance officers ask for a refund of the same gift at the same moment, on
PostgreSQL with real threads (collected only there; see tests/funding/conftest.py)."""

import threading

import pytest
from django.db import close_old_connections, connection

from funding.enums import RefundRequestStatus
from funding.errors import InvalidTransition
from funding.models import RefundRequest
from funding.services.refunds import request_refund
from tests.factories.funding import MatchingRuleFactory
from tests.factories.funding import funded_pool as make_pool

from . import test_wechatpay as wx_flow

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_refunds_asked_at_once_reach_the_provider_once(client, fake_wechatpay, finance_users):
    MatchingRuleFactory()
    make_pool(100_000)
    gift, _pay = wx_flow.give(client)
    gift.refresh_from_db()
    wx_flow.notify(client, "TRANSACTION.SUCCESS", fake_wechatpay.pay(gift.external_id))
    wx_flow.drain()
    gift.refresh_from_db()
    barrier = threading.Barrier(2)
    outcomes = []

    def ask(amount, user):
        try:
            barrier.wait()
            request_refund(donation=gift, amount=amount, seen_refunded=0, by=user)
            outcomes.append(("sent", amount))
        except InvalidTransition as exc:
            outcomes.append(("refused", exc.detail))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=ask, args=(4_000, finance_users[0])),
        threading.Thread(target=ask, args=(3_000, finance_users[1])),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    close_old_connections()

    (row,) = RefundRequest.objects.filter(donation=gift)
    sent = fake_wechatpay.refund_requests()
    assert sorted(kind for kind, _ in outcomes) == ["refused", "sent"]
    assert [detail for kind, detail in outcomes if kind == "refused"] == [
        f"refund {row.out_refund_no} still unreported"
    ]
    assert [(r["out_refund_no"], r["amount"]["refund"]) for r in sent] == [
        (row.out_refund_no, row.amount)
    ]
    assert row.status == RefundRequestStatus.REQUESTED
