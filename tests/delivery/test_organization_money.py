"""Organizations see their money (issue #18): tranches with status, payment date and
reason, holds on the next tranche, disbursed, spent and awaiting review, on their
delivery page and their dashboard (/me/); nobody else sees them."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from funding.services.donations import mark_succeeded
from funding.services.spending import (
    approve_disbursement,
    record_disbursement,
    refuse_disbursement,
)
from projects.delivery import services
from projects.delivery.enums import ReportKind
from tests.factories.delivery import make_delivery, make_member, pdf_upload
from tests.factories.funding import DonationFactory
from tests.funding.test_project_guards import staff_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance():
    from organizations.roles import FINANCE_OFFICER

    return staff_in(FINANCE_OFFICER, "fin-o1"), staff_in(FINANCE_OFFICER, "fin-o2")


@pytest.fixture
def funded(finance):
    """A running project: ¥10,000.00 raised, tranche 1 (¥4,000.00) paid on 2026-02-01,
    tranche 2 rejected with a reason, ¥1,500.00 spent in a report awaiting review."""
    delivery = make_delivery(stage="in_progress", agreement_signed_on=date(2026, 1, 10))
    gift = DonationFactory(project=delivery.project, amount=10_000_00)
    mark_succeeded(donation=gift, amount_received=10_000_00, currency="CNY")
    first = record_disbursement(project=delivery.project, amount=4_000_00, recorded_by=finance[0])
    approve_disbursement(disbursement=first, approved_by=finance[1], paid_on=date(2026, 2, 1))
    second = record_disbursement(project=delivery.project, amount=2_000_00, recorded_by=finance[0])
    refuse_disbursement(disbursement=second, by=finance[1], reason="收款账户与协议不符")
    return delivery


def spend(delivery, member):
    yesterday = timezone.localdate() - timedelta(days=1)
    return services.submit_report(
        delivery=delivery,
        by=member,
        kind=ReportKind.INTERIM,
        period_end=yesterday,
        narrative="开展活动",
        beneficiaries_reached=10,
        expenditures=[
            services.ExpenditureInput(
                budget_line="活动物资", amount=1_500_00, spent_on=yesterday, receipt=pdf_upload()
            )
        ],
    )


def test_member_sees_tranches_and_money_on_the_delivery_page(client, funded):
    member = make_member(funded, username="org-money")
    spend(funded, member)
    client.force_login(member)

    html = client.get(reverse("delivery:detail", args=[funded.pk])).content.decode()

    assert '<dd data-figure="funded">¥10,000.00</dd>' in html
    assert '<dd data-figure="disbursed">¥4,000.00</dd>' in html
    assert '<dd data-figure="spent">¥0.00</dd>' in html
    assert '<dd data-figure="pending-spending">¥1,500.00</dd>' in html
    assert '<dd data-figure="unspent">¥2,500.00</dd>' in html
    assert "<td>2026-02-01</td>" in html
    assert "收款账户与协议不符" in html
    assert "下一笔拨付暂停" not in html


def test_member_sees_why_the_next_tranche_is_held(client):
    delivery = make_delivery()  # agreement not signed yet
    member = make_member(delivery, username="org-held")
    client.force_login(member)

    html = client.get(reverse("delivery:detail", args=[delivery.pk])).content.decode()

    assert "下一笔拨付暂停：" in html
    assert "<li>资助协议尚未签署</li>" in html
    assert "尚未登记拨付。" in html


def test_dashboard_shows_disbursed_and_spent(client, funded):
    member = make_member(funded, username="org-dash")
    spend(funded, member)
    client.force_login(member)

    html = client.get(reverse("organizations:dashboard")).content.decode()

    assert '<td data-figure="disbursed">¥4,000.00</td>' in html
    assert '<td data-figure="spent">¥1,500.00</td>' in html


def test_other_organizations_member_sees_no_money(client, funded):
    outsider = make_member(make_delivery(), username="org-other")
    client.force_login(outsider)

    response = client.get(reverse("delivery:detail", args=[funded.pk]))

    assert response.status_code == 404
    assert "收款账户与协议不符" not in response.content.decode()


def test_member_sees_the_leftover_money_returned(client, funded, finance):
    from funding.enums import LeftoverDestination
    from funding.services.leftover import approve_leftover, record_leftover

    member = make_member(funded, username="org-leftover")
    transfer = record_leftover(
        project=funded.project,
        destination=LeftoverDestination.GENERAL,
        reference="RET-42",
        recorded_by=finance[0],
    )
    approve_leftover(transfer=transfer, approved_by=finance[1])
    client.force_login(member)

    html = client.get(reverse("delivery:detail", args=[funded.pk])).content.decode()

    assert '<dd data-figure="unspent">¥0.00</dd>' in html
    assert (
        f'<li data-leftover="{transfer.pk}">退回综合基金 · 未拨付 ¥6,000.00 · '
        "退回的未支出资金 ¥4,000.00 · 已复核并支付</li>"
    ) in html
