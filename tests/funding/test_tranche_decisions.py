"""Finance screens for tranches (issue #18): the recorder is never offered the approval,
the approval page shows what the decision needs, a payment date is recorded, reject and
cancel need a reason and are audit-logged; listings show yuan and 是/否. Finance accounts
are built as seed_demo builds them (role group + is_staff)."""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone
from wagtail.models import ModelLogEntry

from funding.models import Disbursement
from funding.services.donations import mark_succeeded
from funding.services.spending import record_disbursement
from projects.delivery.services import advance
from tests.factories.delivery import make_delivery
from tests.factories.funding import DonationFactory
from tests.funding.test_project_guards import staff_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance():
    from organizations.roles import FINANCE_OFFICER

    return staff_in(FINANCE_OFFICER, "fin-t1"), staff_in(FINANCE_OFFICER, "fin-t2")


@pytest.fixture
def tranche(finance):
    """¥3,000.00 recorded by the first officer for a running project holding ¥5,000.00."""
    delivery = make_delivery(stage="in_progress", agreement_signed_on=date(2026, 1, 10))
    gift = DonationFactory(project=delivery.project, amount=5_000_00)
    mark_succeeded(donation=gift, amount_received=5_000_00, currency="CNY")
    return record_disbursement(
        project=delivery.project, amount=3_000_00, recorded_by=finance[0], milestone="第一期"
    )


def url(tranche):
    return f"/admin/funding_disbursements/approve/{tranche.pk}/"


def test_recorder_is_not_offered_the_approval(client, finance, tranche):
    client.force_login(finance[0])

    html = client.get(url(tranche)).content.decode()

    assert ">复核并记账</button>" not in html
    assert 'value="approve"' not in html
    assert 'value="reject"' not in html
    assert "须由另一位财务人员复核并记账" in html
    assert 'value="cancel"' in html


def test_approval_page_shows_the_context(client, finance, tranche):
    client.force_login(finance[1])

    html = client.get(url(tranche)).content.decode()

    assert ">复核并记账</button>" in html
    assert '<dd data-figure="amount">¥3,000.00</dd>' in html
    assert '<dd data-figure="fund">¥5,000.00</dd>' in html
    assert '<dd data-figure="paid">¥0.00</dd>' in html
    assert "是，签署于 2026-01-10" in html
    assert "¥100,000.00" in html  # the delivery's budget
    assert "该项目没有暂停拨付的情形。" in html


def test_approval_page_shows_a_hold(client, finance, tranche):
    from organizations.roles import PROGRAMME_OFFICER

    advance(
        tranche.project.delivery,
        "terminated",
        by=staff_in(PROGRAMME_OFFICER, "po-t"),
        note="机构解散",
    )
    client.force_login(finance[1])

    html = client.get(url(tranche)).content.decode()

    assert "暂停拨付：这笔拨付目前不能支付" in html
    assert "<li>项目已终止</li>" in html


def test_approval_records_the_payment_date(client, finance, tranche):
    client.force_login(finance[1])
    paid_on = timezone.localdate() - timedelta(days=2)

    client.post(url(tranche), {"action": "approve", "paid_on": paid_on.isoformat()})

    tranche.refresh_from_db()
    assert (tranche.status, tranche.paid_on, tranche.approved_by) == (
        "approved",
        paid_on,
        finance[1],
    )
    assert tranche.project.balance.disbursed == 3_000_00


def test_payment_date_in_the_future_is_a_form_error(client, finance, tranche):
    client.force_login(finance[1])
    tomorrow = timezone.localdate() + timedelta(days=1)

    response = client.post(url(tranche), {"action": "approve", "paid_on": tomorrow.isoformat()})

    assert response.status_code == 400
    assert "付款日期不能晚于今天。" in response.content.decode()
    tranche.refresh_from_db()
    assert (tranche.status, tranche.paid_on) == ("recorded", None)


def test_reject_needs_a_reason_and_is_logged(client, finance, tranche):
    client.force_login(finance[1])

    empty = client.post(url(tranche), {"action": "reject", "reason": "  "})
    client.post(url(tranche), {"action": "reject", "reason": "收款账户与协议不符"})

    assert empty.status_code == 400
    assert '<ul class="error-message"><li>必需字段</li></ul>' in empty.content.decode()
    tranche.refresh_from_db()
    assert (tranche.status, tranche.decided_by, tranche.decision_reason) == (
        "rejected",
        finance[1],
        "收款账户与协议不符",
    )
    entry = ModelLogEntry.objects.get(action="funding.disbursement_rejected")
    assert (entry.user, entry.data["reason"]) == (finance[1], "收款账户与协议不符")


def test_recorder_cannot_reject_but_can_cancel(client, finance, tranche):
    client.force_login(finance[0])

    refused = client.post(url(tranche), {"action": "reject", "reason": "自己驳回"})
    still = Disbursement.objects.get().status
    client.post(url(tranche), {"action": "cancel", "reason": "金额录错"})

    assert (
        "这笔拨付由您登记，须由另一位财务人员复核。如需撤回，请撤销。" in refused.content.decode()
    )
    assert still == "recorded"
    tranche.refresh_from_db()
    assert (tranche.status, tranche.decision_reason) == ("cancelled", "金额录错")
    assert ModelLogEntry.objects.filter(action="funding.disbursement_cancelled").count() == 1


def test_finance_listings_show_yuan_and_yes_no(client, finance, tranche):
    client.force_login(finance[1])

    tranches = client.get("/admin/funding_disbursements/").content.decode()
    gifts = client.get("/admin/funding_donations/").content.decode()

    assert "¥3,000.00" in tranches
    assert "300000" not in tranches
    assert "¥5,000.00" in gifts
    assert "500000" not in gifts
    cells = re.sub(r"\s+", " ", gifts)
    assert "<td > ¥5,000.00 </td>" in cells
    assert cells.count("<td > 否 </td>") == 2  # flagged, needs finance review
    assert "False" not in gifts
