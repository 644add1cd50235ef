from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from wagtail.models import ModelLogEntry

from portal.core.notifications.models import Notification
from projects.enums import ProjectStatus
from projects.evaluation import services
from projects.evaluation.enums import AdjustmentKind, AssessmentStatus, EvaluationStatus, Grade
from projects.evaluation.models import Assessment, Evaluation
from tests.factories.organizations import MembershipFactory, UserFactory
from tests.factories.projects import ProjectFactory

from .helpers import dims, items, scores_for, submitted_evaluation

pytestmark = pytest.mark.usefixtures("english")


def _open(project, rubric, officer, kind="midterm"):
    return services.open_evaluation(project=project, kind=kind, rubric=rubric, by=officer)


def _sheet(project, rubric, officer, evaluator):
    evaluation = _open(project, rubric, officer)
    return services.assign_evaluator(evaluation=evaluation, evaluator=evaluator, by=officer)


def _errors(info) -> dict:
    return info.value.message_dict


# --- opening and assigning -------------------------------------------------------------------


def test_open_evaluation_refuses_a_project_not_yet_running(rubric, officer):
    project = ProjectFactory(status=ProjectStatus.APPROVED)

    with pytest.raises(ValidationError) as info:
        _open(project, rubric, officer)

    assert info.value.messages == ["Only projects in progress or completed can be evaluated."]
    assert Evaluation.objects.count() == 0


def test_open_evaluation_twice_for_the_same_kind_is_refused(project, rubric, officer):
    _open(project, rubric, officer)

    with pytest.raises(ValidationError) as info:
        _open(project, rubric, officer)

    assert info.value.messages == ["This project already has a Mid-term evaluation."]
    final = _open(project, rubric, officer, kind="final")
    assert final.kind == "final"


def test_open_evaluation_uses_the_default_rubric_and_needs_staff(project, evaluators):
    from tests.factories.review import make_officer

    with pytest.raises(PermissionDenied):
        services.open_evaluation(project=project, kind="midterm", by=evaluators[0])

    evaluation = services.open_evaluation(
        project=project, kind="midterm", by=make_officer(username="o2")
    )

    assert evaluation.rubric.code == "default"
    assert ModelLogEntry.objects.filter(action="evaluation.open").count() == 1


def test_member_of_the_projects_organization_cannot_be_assigned(
    project, rubric, officer, evaluators
):
    MembershipFactory(organization=project.organization, user=evaluators[0])
    evaluation = _open(project, rubric, officer)

    with pytest.raises(ValidationError) as info:
        services.assign_evaluator(evaluation=evaluation, evaluator=evaluators[0], by=officer)

    assert info.value.messages == [
        "evaluator1 is a member of the project's organization and may not evaluate it."
    ]
    assert Assessment.objects.count() == 0


def test_assigning_a_non_evaluator_or_twice_is_refused(project, rubric, officer, evaluators):
    evaluation = _open(project, rubric, officer)
    services.assign_evaluator(evaluation=evaluation, evaluator=evaluators[0], by=officer)

    with pytest.raises(ValidationError) as twice:
        services.assign_evaluator(evaluation=evaluation, evaluator=evaluators[0], by=officer)
    with pytest.raises(ValidationError) as outsider:
        services.assign_evaluator(
            evaluation=evaluation, evaluator=UserFactory(username="bob"), by=officer
        )

    assert twice.value.messages == ["evaluator1 is already assigned to this evaluation."]
    assert outsider.value.messages == ["bob is not in the Evaluators group."]


# --- scoring ---------------------------------------------------------------------------------


def test_submitted_sheet_has_exact_totals_grade_and_is_logged(project, rubric, officer, evaluators):
    sheet = _sheet(project, rubric, officer, evaluators[0])
    bonus = items(rubric, AdjustmentKind.BONUS)[0]
    penalty = items(rubric, AdjustmentKind.PENALTY)[1]

    sheet = services.save_assessment(
        assessment=sheet,
        by=evaluators[0],
        scores=scores_for(rubric, [22.5, 18, 30, 15.25]),
        adjustments={
            bonus.pk: (Decimal(3), "获市级表彰"),
            penalty.pk: (Decimal("1.5"), "一笔支出无凭证"),
        },
        comments=" 整体良好 ",
        submit=True,
    )

    assert sheet.base_total == Decimal("85.75")
    assert (sheet.bonus_total, sheet.penalty_total) == (Decimal(3), Decimal("1.5"))
    assert sheet.total == Decimal("87.25") and sheet.grade == Grade.GOOD
    assert sheet.status == AssessmentStatus.SUBMITTED and sheet.comments == "整体良好"
    assert list(sheet.adjustments.values_list("reason", flat=True)) == [
        "获市级表彰",
        "一笔支出无凭证",
    ]
    entry = ModelLogEntry.objects.get(action="evaluation.submit")
    assert entry.data["total"] == "87.25" and entry.user_id == evaluators[0].pk


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([26, 18, 30, 15], "“维度1” must be between 0 and 25."),
        ([-1, 18, 30, 15], "“维度1” must be between 0 and 25."),
    ],
)
def test_scores_over_the_maximum_or_negative_are_refused(
    project, rubric, officer, evaluators, values, message
):
    sheet = _sheet(project, rubric, officer, evaluators[0])

    with pytest.raises(ValidationError) as info:
        services.save_assessment(
            assessment=sheet, by=evaluators[0], scores=scores_for(rubric, values), submit=True
        )

    assert _errors(info) == {f"dimension_{dims(rubric)[0].pk}": [message]}
    sheet.refresh_from_db()
    assert sheet.status == AssessmentStatus.DRAFT and sheet.scores.count() == 0


def test_submit_needs_every_dimension_but_a_draft_does_not(project, rubric, officer, evaluators):
    sheet = _sheet(project, rubric, officer, evaluators[0])
    values = scores_for(rubric, [20, None, 30, 15])

    draft = services.save_assessment(assessment=sheet, by=evaluators[0], scores=values)
    with pytest.raises(ValidationError) as info:
        services.save_assessment(assessment=sheet, by=evaluators[0], scores=values, submit=True)

    assert draft.base_total == Decimal(65) and draft.status == AssessmentStatus.DRAFT
    assert _errors(info) == {
        f"dimension_{dims(rubric)[1].pk}": ["A score for “维度2” is required."]
    }


def test_bonus_beyond_the_item_or_the_cap_and_missing_reasons_are_refused(
    project, rubric, officer, evaluators
):
    sheet = _sheet(project, rubric, officer, evaluators[0])
    b1, b2, b3 = items(rubric, AdjustmentKind.BONUS)
    p1, p2, p3 = items(rubric, AdjustmentKind.PENALTY)
    values = scores_for(rubric, [20, 15, 30, 15])

    with pytest.raises(ValidationError) as item_max:
        services.save_assessment(
            assessment=sheet,
            by=evaluators[0],
            scores=values,
            adjustments={b1.pk: (Decimal(4), "媒体报道")},
        )
    with pytest.raises(ValidationError) as cap:
        services.save_assessment(
            assessment=sheet,
            by=evaluators[0],
            scores=values,
            adjustments={
                b1.pk: (Decimal(3), "a"),
                b2.pk: (Decimal(2), "b"),
                b3.pk: (Decimal(1), "c"),
            },
        )
    with pytest.raises(ValidationError) as penalty_cap:
        services.save_assessment(
            assessment=sheet,
            by=evaluators[0],
            scores=values,
            adjustments={
                p1.pk: (Decimal(3), "a"),
                p2.pk: (Decimal(5), "b"),
                p3.pk: (Decimal(3), "c"),
            },
        )
    with pytest.raises(ValidationError) as no_reason:
        services.save_assessment(
            assessment=sheet,
            by=evaluators[0],
            scores=values,
            adjustments={p1.pk: (Decimal(1), "  ")},
        )
    with pytest.raises(ValidationError) as negative:
        services.save_assessment(
            assessment=sheet,
            by=evaluators[0],
            scores=values,
            adjustments={p1.pk: (Decimal(-1), "x")},
        )

    assert _errors(item_max) == {f"points_{b1.pk}": ["“加分1” allows at most 3 points."]}
    assert _errors(cap) == {"bonus": ["Bonus points add up to 6; at most 5 are allowed."]}
    assert _errors(penalty_cap) == {
        "penalty": ["Penalty points add up to 11; at most 10 are allowed."]
    }
    assert _errors(no_reason) == {
        f"points_{p1.pk}": ["Give the reason for the points under “扣分1”."]
    }
    assert list(_errors(negative)) == [f"points_{p1.pk}"]
    assert sheet.adjustments.count() == 0


def test_submitted_sheet_is_locked_and_only_its_evaluator_may_score(
    project, rubric, officer, evaluators
):
    sheet = _sheet(project, rubric, officer, evaluators[0])
    values = scores_for(rubric, [20, 15, 30, 15])

    with pytest.raises(PermissionDenied):
        services.save_assessment(assessment=sheet, by=evaluators[1], scores=values)
    services.save_assessment(assessment=sheet, by=evaluators[0], scores=values, submit=True)
    with pytest.raises(PermissionDenied) as locked:
        services.save_assessment(assessment=sheet, by=evaluators[0], scores=values)

    assert str(locked.value) == "This score sheet has been submitted and can no longer be changed."


def test_evaluator_who_joined_the_organization_later_cannot_score(
    project, rubric, officer, evaluators
):
    sheet = _sheet(project, rubric, officer, evaluators[0])
    MembershipFactory(organization=project.organization, user=evaluators[0])

    with pytest.raises(PermissionDenied) as info:
        services.save_assessment(
            assessment=sheet, by=evaluators[0], scores=scores_for(rubric, [20, 15, 30, 15])
        )

    assert "member of the project's organization" in str(info.value)


def test_reopen_sheet_lets_the_evaluator_change_it(project, rubric, officer, evaluators):
    sheet = _sheet(project, rubric, officer, evaluators[0])
    services.save_assessment(
        assessment=sheet, by=evaluators[0], scores=scores_for(rubric, [20, 15, 30, 15]), submit=True
    )

    with pytest.raises(ValidationError):
        services.reopen_assessment(assessment=sheet, by=officer, reason=" ")
    services.reopen_assessment(assessment=sheet, by=officer, reason="分数录错")
    changed = services.save_assessment(
        assessment=sheet, by=evaluators[0], scores=scores_for(rubric, [25, 15, 30, 15]), submit=True
    )

    assert changed.total == Decimal(85)
    assert ModelLogEntry.objects.get(action="evaluation.sheet.reopen").data == {
        "reason": "分数录错"
    }


# --- finalise, reopen, publish ---------------------------------------------------------------


def test_finalise_takes_the_mean_of_the_sheets_and_its_grade(project, rubric, officer, evaluators):
    evaluation = submitted_evaluation(
        project=project,
        rubric=rubric,
        officer=officer,
        evaluators=evaluators,
        totals_by_sheet=[[25, 20, 35, 10], [20, 15, 30, 14.99]],
    )

    evaluation = services.finalise_evaluation(
        evaluation=evaluation, by=officer, conclusion="执行规范"
    )

    # (90 + 79.99) / 2 = 84.995 → 85.00 (half up)
    assert evaluation.score == Decimal("85.00") and evaluation.grade == Grade.GOOD
    assert evaluation.status == EvaluationStatus.FINALISED
    assert ModelLogEntry.objects.get(action="evaluation.finalise").data["score"] == "85"


def test_finalise_needs_submitted_sheets_and_no_drafts(project, rubric, officer, evaluators):
    evaluation = _open(project, rubric, officer)
    with pytest.raises(ValidationError) as none:
        services.finalise_evaluation(evaluation=evaluation, by=officer)
    evaluation = Evaluation.objects.get(pk=evaluation.pk)
    sheet = services.assign_evaluator(evaluation=evaluation, evaluator=evaluators[0], by=officer)
    services.save_assessment(
        assessment=sheet, by=evaluators[0], scores=scores_for(rubric, [20, 15, 30, 15]), submit=True
    )
    services.assign_evaluator(evaluation=evaluation, evaluator=evaluators[1], by=officer)

    with pytest.raises(ValidationError) as draft:
        services.finalise_evaluation(evaluation=evaluation, by=officer)

    assert none.value.messages == ["No evaluator has submitted a score sheet yet."]
    assert draft.value.messages[0].startswith("Some evaluators have not submitted")
    assert Evaluation.objects.get(pk=evaluation.pk).status == EvaluationStatus.OPEN


def test_publish_sets_a_one_week_appeal_window_and_notifies_members(
    project, rubric, officer, evaluators
):
    member = MembershipFactory(organization=project.organization).user
    evaluation = submitted_evaluation(
        project=project,
        rubric=rubric,
        officer=officer,
        evaluators=evaluators[:1],
        totals_by_sheet=[[25, 20, 35, 20]],
    )
    with pytest.raises(ValidationError):
        services.publish_evaluation(evaluation=evaluation, by=officer)
    services.finalise_evaluation(evaluation=evaluation, by=officer)
    now = timezone.now()

    evaluation = services.publish_evaluation(evaluation=evaluation, by=officer, now=now)

    assert evaluation.status == EvaluationStatus.PUBLISHED
    assert evaluation.appeal_ends_at == now + timedelta(days=7)
    assert evaluation.grade == Grade.EXCELLENT and evaluation.score == Decimal(100)
    assert Notification.objects.filter(user=member).count() == 1
    assert ModelLogEntry.objects.filter(action="evaluation.publish").count() == 1


def test_reopen_evaluation_clears_the_score_and_needs_a_reason(
    project, rubric, officer, evaluators
):
    evaluation = submitted_evaluation(
        project=project,
        rubric=rubric,
        officer=officer,
        evaluators=evaluators[:1],
        totals_by_sheet=[[25, 20, 35, 20]],
    )
    services.finalise_evaluation(evaluation=evaluation, by=officer)

    with pytest.raises(ValidationError):
        services.reopen_evaluation(evaluation=evaluation, by=officer, reason="")
    evaluation = services.reopen_evaluation(evaluation=evaluation, by=officer, reason="复核")

    assert evaluation.status == EvaluationStatus.OPEN
    assert evaluation.score is None and evaluation.grade == ""


def test_remove_evaluator_refuses_a_submitted_sheet(project, rubric, officer, evaluators):
    sheet = _sheet(project, rubric, officer, evaluators[0])
    services.save_assessment(
        assessment=sheet, by=evaluators[0], scores=scores_for(rubric, [20, 15, 30, 15]), submit=True
    )
    draft = services.assign_evaluator(
        evaluation=sheet.evaluation, evaluator=evaluators[1], by=officer
    )

    with pytest.raises(ValidationError):
        services.remove_evaluator(assessment=sheet, by=officer)
    services.remove_evaluator(assessment=draft, by=officer)

    assert list(Assessment.objects.values_list("evaluator__username", flat=True)) == ["evaluator1"]


def test_finalise_and_publish_send_signals_after_commit(
    project, rubric, officer, evaluators, django_capture_on_commit_callbacks
):
    from projects.evaluation.signals import evaluation_finalised, evaluation_published

    received = []

    def receiver(sender, evaluation, by, **kwargs):
        received.append((sender, evaluation.pk, evaluation.status, by))

    evaluation_finalised.connect(receiver)
    evaluation_published.connect(receiver)
    try:
        evaluation = submitted_evaluation(
            project=project,
            rubric=rubric,
            officer=officer,
            evaluators=evaluators[:1],
            totals_by_sheet=[[20, 15, 30, 15]],
        )
        with django_capture_on_commit_callbacks(execute=True):
            services.finalise_evaluation(evaluation=evaluation, by=officer)
        assert received == [(Evaluation, evaluation.pk, "finalised", officer)]
        with django_capture_on_commit_callbacks(execute=True):
            services.publish_evaluation(evaluation=evaluation, by=officer)
    finally:
        evaluation_finalised.disconnect(receiver)
        evaluation_published.disconnect(receiver)

    assert received[1] == (Evaluation, evaluation.pk, "published", officer)
    assert len(received) == 2
