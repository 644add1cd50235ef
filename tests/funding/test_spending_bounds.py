"""#17 item 4: spent ≤ disbursed ≤ available, and refunds after the money was paid out or
settled leave explicit claw-back records that finance sees and ``reconcile`` checks."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from funding.enums import ClawBackKind, MatchingMode
from funding.errors import SpendingExceedsDisbursed
from funding.models import ClawBack, Expenditure, ProjectBalance
from funding.services.donations import mark_succeeded, record_refund
from funding.services.reconcile import reconcile
from funding.services.settlement import commit_settlement
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
    make_call,
)

pytestmark = pytest.mark.django_db


def _spend(project, amount, by):
    return record_expenditure(
        project=project,
        budget_line="餐费",
        amount=amount,
        spent_on=timezone.localdate(),
        recorded_by=by,
    )


def _gift(project, amount):
    gift = DonationFactory(project=project, amount=amount)
    mark_succeeded(donation=gift, amount_received=amount, currency="CNY")
    return gift


def _disburse(project, amount, finance_users):
    tranche = record_disbursement(project=project, amount=amount, recorded_by=finance_users[0])
    return approve_disbursement(disbursement=tranche, approved_by=finance_users[1])


def test_spending_with_nothing_disbursed_is_refused(finance_users):
    project = MatchedProjectFactory()

    with translation.override("en"), pytest.raises(SpendingExceedsDisbursed) as caught:
        _spend(project, 5_000, finance_users[0])

    assert caught.value.field == "amount"
    assert caught.value.messages == [
        "This spending (¥50.00) is more than the project can still spend: "
        "¥0.00 disbursed, ¥0.00 already spent."
    ]
    assert Expenditure.objects.count() == 0


def test_spending_is_bounded_by_what_was_disbursed(finance_users):
    MatchingRuleFactory()
    project = MatchedProjectFactory()
    _gift(project, 5_000)
    _disburse(project, 5_000, finance_users)

    with pytest.raises(SpendingExceedsDisbursed):
        _spend(project, 5_001, finance_users[0])
    _spend(project, 3_000, finance_users[0])
    with pytest.raises(SpendingExceedsDisbursed):
        _spend(project, 2_001, finance_users[0])
    _spend(project, 2_000, finance_users[0])

    assert ProjectBalance.objects.get(pk=project.pk).spent == 5_000
    assert reconcile().ok


def test_database_refuses_spent_above_disbursed(finance_users):
    project = MatchedProjectFactory()
    _gift(project, 5_000)

    with pytest.raises(IntegrityError), transaction.atomic():
        ProjectBalance.objects.filter(pk=project.pk).update(spent=1)


def test_refund_after_disbursement_records_a_claw_back(finance_users):
    MatchingRuleFactory()
    funded_pool(100_000)
    project = MatchedProjectFactory()
    gift = _gift(project, 10_000)
    _disburse(project, 20_000, finance_users)

    record_refund(donation=gift, refunded_total=4_000)
    record_refund(donation=gift, refunded_total=4_000)  # replay: nothing more

    claw_back = ClawBack.objects.get()
    row = ProjectBalance.objects.get(pk=project.pk)
    assert (row.raised, row.matched, row.disbursed) == (6_000, 6_000, 20_000)
    assert (claw_back.kind, claw_back.amount, claw_back.donation) == (
        ClawBackKind.FUND_SHORTFALL,
        8_000,
        gift,
    )
    assert reconcile().ok


def test_reconcile_reports_a_shortfall_without_claw_back(finance_users):
    MatchingRuleFactory()
    funded_pool(100_000)
    project = MatchedProjectFactory()
    gift = _gift(project, 10_000)
    _disburse(project, 20_000, finance_users)
    record_refund(donation=gift, refunded_total=4_000)
    ClawBack.objects.all().delete()

    problems = reconcile().problems

    assert problems == [
        f"project {project.pk} disbursed 20000 > raised+matched 12000 with 0 in claw-backs"
    ]


def test_refund_after_settlement_records_the_overpaid_match():
    call = make_call()
    MatchingRuleFactory(call=call, mode=MatchingMode.SETTLEMENT)
    project = MatchedProjectFactory(slug="settled")
    funded_pool(100_000, call=call)
    gift = _gift(project, 10_000)
    commit_settlement(call=call)

    record_refund(donation=gift, refunded_total=4_000)

    claw_back = ClawBack.objects.get()
    assert (claw_back.kind, claw_back.amount) == (ClawBackKind.SETTLEMENT_OVERPAID, 4_000)
    assert "eligible money 10000 → 6000, match paid 10000, entitled 6000" in claw_back.reason
    assert reconcile().ok
