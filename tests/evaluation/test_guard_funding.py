"""The failed mid-term hold, through funding's disbursement service."""

import pytest

from funding.errors import DisbursementBlocked
from funding.models import Disbursement
from funding.services import spending
from funding.services.donations import mark_succeeded
from funding.services.spending import approve_disbursement, record_disbursement
from organizations.roles import FINANCE_OFFICER
from projects.evaluation import guards, services
from tests.factories.funding import DonationFactory, MatchedProjectFactory
from tests.factories.organizations import UserFactory
from tests.factories.review import with_role

from .helpers import submitted_evaluation

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def funded(site_pages):
    project = MatchedProjectFactory(slug="evaluated")
    gift = DonationFactory(project=project, amount=50_000)
    mark_succeeded(donation=gift, amount_received=50_000, currency="CNY")
    return project


@pytest.fixture
def finance(db):
    return (
        with_role(UserFactory(username="fin-a"), FINANCE_OFFICER),
        with_role(UserFactory(username="fin-b"), FINANCE_OFFICER),
    )


def _fail_midterm(project, rubric, officer, evaluators):
    evaluation = submitted_evaluation(
        project=project,
        rubric=rubric,
        officer=officer,
        evaluators=evaluators[:1],
        totals_by_sheet=[[10, 10, 20, 10]],
    )
    return services.finalise_evaluation(evaluation=evaluation, by=officer)


def test_the_guard_is_registered_with_funding():
    assert guards.failed_midterm_guard in spending.disbursement_guards


def test_failed_midterm_refuses_the_next_tranche_until_staff_release_it(
    funded, finance, rubric, officer, evaluators
):
    first = record_disbursement(project=funded, amount=10_000, recorded_by=finance[0])
    approve_disbursement(disbursement=first, approved_by=finance[1])
    evaluation = _fail_midterm(funded, rubric, officer, evaluators)

    with pytest.raises(DisbursementBlocked) as blocked:
        record_disbursement(project=funded, amount=10_000, recorded_by=finance[0])
    assert Disbursement.objects.filter(project=funded).count() == 1
    services.release_disbursement_hold(evaluation=evaluation, by=officer, reason="整改方案已验收")
    second = record_disbursement(project=funded, amount=10_000, recorded_by=finance[0])

    assert "failed (差, 50 points)" in blocked.value.messages[0]
    assert second.tranche == 2


def test_a_tranche_recorded_before_the_failure_is_not_paid_after_it(
    funded, finance, rubric, officer, evaluators
):
    recorded = record_disbursement(project=funded, amount=10_000, recorded_by=finance[0])
    _fail_midterm(funded, rubric, officer, evaluators)

    with pytest.raises(DisbursementBlocked):
        approve_disbursement(disbursement=recorded, approved_by=finance[1])

    recorded.refresh_from_db()
    assert recorded.status == "recorded"
