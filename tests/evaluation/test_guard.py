from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from wagtail.models import ModelLogEntry

from funding.services import spending
from projects.evaluation import guards, services
from tests.factories.evaluation import EvaluationFactory
from tests.factories.projects import ProjectFactory

from .helpers import submitted_evaluation

pytestmark = pytest.mark.usefixtures("english")


def _failed_midterm(project, rubric, officer, evaluators, *, kind="midterm"):
    evaluation = submitted_evaluation(
        project=project,
        rubric=rubric,
        officer=officer,
        evaluators=evaluators[:1],
        kind=kind,
        totals_by_sheet=[[15, 10, 20, 14.99]],
    )
    return services.finalise_evaluation(evaluation=evaluation, by=officer)


def test_failed_midterm_holds_the_next_tranche(project, rubric, officer, evaluators):
    evaluation = _failed_midterm(project, rubric, officer, evaluators)

    reason = guards.failed_midterm_guard(project, 2)

    assert evaluation.score == Decimal("59.99")
    assert reason == (
        f"The mid-term evaluation of “{project.title}” failed (差, 59.99 points); "
        "the next tranche is held until programme staff release it with a reason."
    )


def test_guard_is_silent_without_a_decided_failed_midterm(project, rubric, officer, evaluators):
    open_one = EvaluationFactory(project=project, rubric=rubric)
    final = _failed_midterm(project, rubric, officer, evaluators, kind="final")
    passed = submitted_evaluation(
        project=ProjectFactory(),
        rubric=rubric,
        officer=officer,
        evaluators=evaluators[1:2],
        totals_by_sheet=[[15, 10, 20, 15]],
    )
    services.finalise_evaluation(evaluation=passed, by=officer)

    assert open_one.grade == "" and final.grade == "fail"
    assert guards.failed_midterm_guard(project, 2) is None
    assert guards.failed_midterm_guard(passed.project, 2) is None


def test_staff_override_releases_the_hold_with_a_reason_and_is_logged(
    project, rubric, officer, evaluators
):
    evaluation = _failed_midterm(project, rubric, officer, evaluators)

    with pytest.raises(ValidationError) as no_reason:
        services.release_disbursement_hold(evaluation=evaluation, by=officer, reason="  ")
    assert guards.failed_midterm_guard(project, 2) is not None
    services.release_disbursement_hold(
        evaluation=evaluation, by=officer, reason="整改方案已通过复核"
    )
    with pytest.raises(ValidationError) as twice:
        services.release_disbursement_hold(evaluation=evaluation, by=officer, reason="again")

    assert no_reason.value.messages == ["Please give the reason for releasing the hold."]
    assert twice.value.messages == ["This evaluation does not hold any disbursement."]
    assert guards.failed_midterm_guard(project, 2) is None
    entry = ModelLogEntry.objects.get(action="evaluation.hold.release")
    assert entry.data == {"reason": "整改方案已通过复核"} and entry.user_id == officer.pk


def test_only_staff_release_a_hold(project, rubric, officer, evaluators):
    from django.core.exceptions import PermissionDenied

    evaluation = _failed_midterm(project, rubric, officer, evaluators)

    with pytest.raises(PermissionDenied):
        services.release_disbursement_hold(evaluation=evaluation, by=evaluators[0], reason="x")


def test_register_adds_the_guard_once_to_fundings_registry(monkeypatch):
    registry = []
    monkeypatch.setattr(spending, "disbursement_guards", registry, raising=False)

    first, second = guards.register(), guards.register()

    assert (first, second) == (True, True)
    assert registry == [guards.failed_midterm_guard]


def test_register_does_nothing_without_a_registry(monkeypatch):
    monkeypatch.delattr(spending, "disbursement_guards", raising=False)

    assert guards.register() is False
