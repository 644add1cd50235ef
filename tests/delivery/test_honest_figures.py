"""Public money figures are honest (issue #18): spending above the budget is shown as
such, spending of reports not yet accepted is *awaiting review*, not spent; a budget line
taken more than 10% over its budget needs a reason when the spending is entered."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from funding.models import Expenditure
from projects.delivery import services
from projects.delivery.enums import ReportKind
from projects.delivery.models import VarianceExplanation
from tests.factories.delivery import pdf_upload

pytestmark = pytest.mark.django_db


def spend(delivery, member, line, amount, explanation=""):
    today = timezone.localdate()
    return services.submit_report(
        delivery=delivery,
        by=member,
        kind=ReportKind.INTERIM,
        period_end=today - timedelta(days=1),
        narrative="开展活动",
        beneficiaries_reached=10,
        expenditures=[
            services.ExpenditureInput(
                budget_line=line,
                amount=amount,
                spent_on=today - timedelta(days=1),
                receipt=pdf_upload(),
                explanation=explanation,
            )
        ],
    )


def test_spending_over_the_budget_is_shown_uncapped(client, site_pages, active, member, officer):
    # Budget: 项目社工 ¥60,000 + 活动物资 ¥40,000 = ¥100,000.
    report = spend(active, member, "项目社工", 136_000_00, explanation="服务人数翻倍，增聘社工")
    services.decide_report(report=report, by=officer, accept=True)

    html = client.get(active.project.get_absolute_url()).content.decode()

    assert "已支出预算的 136%，超出预算 ¥36,000.00" in html
    assert "已支出预算的 100%" not in html
    assert 'value="100">136%</progress>' in html


def test_unreviewed_spending_is_pending_not_spent(client, site_pages, active, member, officer):
    report = spend(active, member, "活动物资", 1_200_50)
    url = active.project.get_absolute_url()

    before = client.get(url).content.decode()
    services.decide_report(report=report, by=officer, accept=True)
    after = client.get(url).content.decode()

    assert '<dd data-figure="spent">¥0.00</dd>' in before
    assert '<dd data-figure="pending-spending">¥1,200.50</dd>' in before
    assert '<dd data-figure="reviewed-spending">¥0.00</dd>' in before
    assert "待审核支出" in before
    assert '<dd data-figure="spent">¥1,200.50</dd>' in after
    assert '<dd data-figure="reviewed-spending">¥1,200.50</dd>' in after
    assert "pending-spending" not in after


def test_line_over_tolerance_needs_an_explanation_at_entry(active, member):
    with pytest.raises(services.DeliveryError) as refused:
        spend(active, member, "活动物资", 44_100_00)

    assert refused.value.messages == [
        "这笔支出使“活动物资”累计达到 ¥44,100.00，超出预算 ¥40,000.00 的 +10.2%"
        "（超过 10%）：请在该笔支出的“超支说明”中说明原因。"
    ]
    assert Expenditure.objects.count() == 0


def test_line_within_tolerance_needs_no_explanation(active, member):
    spend(active, member, "活动物资", 44_000_00)

    assert Expenditure.objects.get().amount == 44_000_00
    assert VarianceExplanation.objects.count() == 0


def test_explanation_given_at_entry_is_stored_for_the_line(active, member):
    spend(active, member, "项目社工", 79_900_00, explanation="增加夜间探访")

    explanation = VarianceExplanation.objects.get()
    assert (explanation.budget_line, explanation.explanation) == ("项目社工", "增加夜间探访")
    assert explanation.written_by == member
    assert Expenditure.objects.get().amount == 79_900_00


def test_report_form_shows_the_missing_explanation_and_saves_nothing(client, active, member):
    client.force_login(member)
    url = reverse("delivery:report_create", args=[active.pk])
    data = {
        "kind": "interim",
        "milestone": "",
        "period_end": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "narrative": "开展活动",
        "beneficiaries_reached": "10",
        "ind-TOTAL_FORMS": "0",
        "ind-INITIAL_FORMS": "0",
        "exp-TOTAL_FORMS": "1",
        "exp-INITIAL_FORMS": "0",
        "exp-0-budget_line": "项目社工",
        "exp-0-amount": "79900",
        "exp-0-spent_on": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "exp-0-receipt": pdf_upload(),
        "photo-TOTAL_FORMS": "0",
        "photo-INITIAL_FORMS": "0",
    }

    response = client.post(url, data)

    html = response.content.decode()
    assert response.status_code == 400
    assert "这笔支出使“项目社工”累计达到 ¥79,900.00，超出预算 ¥60,000.00 的 +33.2%" in html
    assert "超支说明" in html
    assert Expenditure.objects.count() == 0
