import pytest
from django.core.management import call_command
from django.template import Context, Template
from django.utils import timezone

from funding.enums import Anonymity, DonationStatus
from funding.errors import FourEyesViolation, InsufficientFunds
from funding.models import Receipt
from funding.selectors import project_money
from funding.services.donations import mark_succeeded, record_refund
from funding.services.receipts import issue_annual_statement, issue_receipt, render_receipt_pdf
from funding.services.reconcile import reconcile
from funding.services.spending import (
    approve_disbursement,
    record_disbursement,
    record_expenditure,
)
from tests.factories.funding import (
    DonationFactory,
    MatchedProjectFactory,
    MatchingRuleFactory,
    funded_pool,
)

pytestmark = pytest.mark.django_db


def _paid(project, amount, **kwargs):
    donation = DonationFactory(project=project, amount=amount, **kwargs)
    mark_succeeded(donation=donation, amount_received=amount, currency="CNY")
    donation.refresh_from_db()
    return donation


@pytest.fixture
def project():
    MatchingRuleFactory()
    funded_pool(1_000_000)
    return MatchedProjectFactory(slug="money-proj")


def test_project_money_figures(project, finance_users):
    _paid(project, 10_000)
    refunded = _paid(project, 4_000)
    record_refund(donation=refunded, refunded_total=1_000)
    disbursement = record_disbursement(project=project, amount=5_000, recorded_by=finance_users[0])
    approve_disbursement(disbursement=disbursement, approved_by=finance_users[1])
    record_expenditure(
        project=project,
        budget_line="餐费",
        amount=1_200,
        spent_on=timezone.localdate(),
        recorded_by=finance_users[0],
    )

    money = project_money(project)

    assert (money.raised, money.matched, money.disbursed, money.spent) == (
        13_000,
        13_000,
        5_000,
        1_200,
    )
    assert reconcile().ok


def test_project_money_constant_queries(project, django_assert_num_queries):
    template = Template('{% include "funding/includes/project_money.html" %}')
    _paid(project, 1_000)
    with django_assert_num_queries(2):
        one = template.render(Context({"project": project}))
    _paid(project, 2_000)
    _paid(project, 3_000)

    with django_assert_num_queries(2):
        three = template.render(Context({"project": project}))

    assert "¥10.00" in one
    assert three.count("<tr>") == 4


def test_public_ledger_masks_anonymous(project):
    _paid(project, 1_000, donor_name="张三", anonymity=Anonymity.HIDE_NAME)
    _paid(project, 2_000, donor_name="李四", anonymity=Anonymity.HIDE_AMOUNT)
    _paid(project, 3_000, donor_name="王五")

    html = Template('{% include "funding/includes/project_money.html" %}').render(
        Context({"project": project})
    )

    assert "张三" not in html and "爱心人士" in html
    assert "李四" in html and "¥20.00" not in html
    assert "王五" in html and "¥30.00" in html


def test_disbursement_needs_second_officer(project, finance_users):
    _paid(project, 10_000)
    disbursement = record_disbursement(project=project, amount=5_000, recorded_by=finance_users[0])

    with pytest.raises(FourEyesViolation):
        approve_disbursement(disbursement=disbursement, approved_by=finance_users[0])

    assert project_money(project).disbursed == 0


def test_disbursement_over_fund_refused(project, finance_users):
    _paid(project, 1_000)
    disbursement = record_disbursement(
        project=project, amount=500_000, recorded_by=finance_users[0]
    )

    with pytest.raises(InsufficientFunds):
        approve_disbursement(disbursement=disbursement, approved_by=finance_users[1])


def test_receipt_numbered_and_declined_for_anonymous(project):
    named = _paid(project, 1_000, receipt_requested=True, receipt_name="某某公司")
    anonymous = _paid(project, 2_000, receipt_requested=True, anonymity=Anonymity.HIDE_BOTH)

    first = issue_receipt(donation=named)
    second = issue_receipt(donation=anonymous)
    again = issue_receipt(donation=named)

    year = timezone.localdate().year
    assert (first.number, second.number, again.pk) == (
        f"{year}-000001",
        f"{year}-000002",
        first.pk,
    )
    assert (first.donor_name, first.declined) == ("某某公司", False)
    assert (second.donor_name, second.declined) == ("", True)


def test_annual_statement_sums_year(project):
    _paid(project, 1_000, donor_email="a@example.org", donor_name="甲")
    _paid(project, 2_500, donor_email="a@example.org", donor_name="甲")
    DonationFactory(
        project=project, donor_email="a@example.org", amount=9_999, status=DonationStatus.PENDING
    )

    statement = issue_annual_statement(donor_email="a@example.org", year=timezone.now().year)

    assert (statement.amount, statement.kind, statement.donor_name) == (3_500, "annual", "甲")


def test_receipt_pdf_renders(project, tmp_path):
    receipt = issue_receipt(donation=_paid(project, 1_000, receipt_requested=True))

    pdf = render_receipt_pdf(receipt=receipt)
    call_command("render_report", "receipt", str(receipt.pk), "-o", str(tmp_path / "r.pdf"))

    assert pdf.startswith(b"%PDF")
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
    assert Receipt.objects.count() == 1


def test_receipt_download_serves_the_stored_pdf(project, client):
    donation = _paid(project, 1_000, receipt_requested=True)
    receipt = issue_receipt(donation=donation)

    response = client.get(f"/donate/gift/{donation.access_token}/receipt.pdf")

    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert f"receipt-{receipt.number}.pdf" in response["Content-Disposition"]


def test_receipt_download_is_202_while_the_worker_renders_it(project, client, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    donation = _paid(project, 1_000, receipt_requested=True)
    issue_receipt(donation=donation)

    response = client.get(f"/donate/gift/{donation.access_token}/receipt.pdf")

    assert response.status_code == 202
    assert response["Retry-After"] == "30"
    assert "正在生成" in response.content.decode()


def test_receipt_download_with_unknown_token_is_404(client, db):
    assert client.get("/donate/gift/not-a-token/receipt.pdf").status_code == 404
