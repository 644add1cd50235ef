"""Use cases for evaluations (中期/末期评估) and residents' feedback (成效让群众评判).

Every function is keyword-only and atomic, validates before writing, raises
``ValidationError`` (translated words for the user) or ``PermissionDenied``, writes the
audit log (``wagtail.log_actions.log``, actions ``evaluation.*``) and notifies only after
commit (``organizations.services.notify_members``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.log_actions import log

from organizations.models import Membership
from organizations.roles import EVALUATOR, has_role
from organizations.services import notify_members
from projects.enums import ProjectStatus
from projects.models import Project
from projects.scoring import services as scoring
from projects.scoring.numbers import num, parse_number

from .enums import (
    DECIDED_STATUSES,
    EVALUATION_TRANSITIONS,
    AdjustmentKind,
    AssessmentStatus,
    EvaluationKind,
    EvaluationStatus,
    FeedbackStatus,
    Grade,
    grade_for,
)
from .models import (
    Adjustment,
    AdjustmentItem,
    Assessment,
    Dimension,
    Evaluation,
    EvaluationRubric,
    ResidentFeedback,
)
from .signals import evaluation_finalised, evaluation_published

CENT = Decimal("0.01")
APPEAL_DAYS = 7
DEFAULT_RUBRIC_CODE = "default"
# Projects that can be evaluated and judged by residents: under way or done.
RUNNING_STATUSES = frozenset({ProjectStatus.IN_PROGRESS, ProjectStatus.COMPLETED})
COMMENT_MAX_LENGTH = 1000


MANAGE = "evaluation.manage_evaluation"


def _require_staff(by) -> None:
    scoring.require_permission(by, MANAGE)


def evaluator_pool():
    """Active users in the Evaluators group."""
    return get_user_model().objects.filter(groups__name=EVALUATOR, is_active=True).distinct()


# --- rubrics ---------------------------------------------------------------------------------


def default_rubric() -> EvaluationRubric | None:
    """The newest version of the default rubric (seeded by migration)."""
    return EvaluationRubric.objects.filter(code=DEFAULT_RUBRIC_CODE).order_by("-version").first()


def new_rubric_version(*, rubric: EvaluationRubric, by) -> EvaluationRubric:
    """Copy ``rubric`` with its dimensions and items as the next version of its code
    (:func:`projects.scoring.services.new_rubric_version`; audit action
    ``evaluation.rubric.version``). Raises ``PermissionDenied`` for non-staff."""
    return scoring.new_rubric_version(
        rubric=rubric, by=by, permission=MANAGE, action="evaluation.rubric.version"
    )


# --- numbers ---------------------------------------------------------------------------------


def parse_points(raw) -> Decimal | None:
    """A typed number, or ``None`` when empty. Raises ``ValidationError`` for text that is
    not a finite number or has more than two decimal places."""
    return parse_number(raw, cents=True)


def dimension_problem(dimension: Dimension, value: Decimal | None, *, final: bool) -> str | None:
    """Why ``value`` is not acceptable for ``dimension`` (``None`` when it is)."""
    if value is None:
        if final:
            return _("A score for “%(name)s” is required.") % {"name": dimension.name}
        return None
    if not Decimal(0) <= value <= dimension.max_score:
        return _("“%(name)s” must be between 0 and %(max)s.") % {
            "name": dimension.name,
            "max": num(dimension.max_score),
        }
    return None


def adjustment_problem(item: AdjustmentItem, points: Decimal | None, reason: str) -> str | None:
    """Why the points given under ``item`` are not acceptable (``None`` when they are)."""
    if points is None or points == 0:
        return None
    if points < 0:
        return _(
            "Enter the points for “%(name)s” as a positive number; penalties are "
            "subtracted automatically."
        ) % {"name": item.name}
    if points > item.max_points:
        return _("“%(name)s” allows at most %(max)s points.") % {
            "name": item.name,
            "max": num(item.max_points),
        }
    if not reason.strip():
        return _("Give the reason for the points under “%(name)s”.") % {"name": item.name}
    return None


def compute_total(
    *, rubric: EvaluationRubric, base: Decimal, bonus: Decimal, penalty: Decimal
) -> Decimal:
    """``base + bonus − penalty``, kept within 0 … the rubric's maximum (100)."""
    return min(max(base + bonus - penalty, Decimal(0)), rubric.max_total())


def mean_score(totals: list[Decimal]) -> Decimal:
    """The evaluation score: the mean of the evaluators' totals to the cent (half up)."""
    return (sum(totals, Decimal(0)) / len(totals)).quantize(CENT, rounding=ROUND_HALF_UP)


# --- opening and assigning -------------------------------------------------------------------


@transaction.atomic
def open_evaluation(
    *, project: Project, kind: str, by, rubric: EvaluationRubric | None = None
) -> Evaluation:
    """Start the project's mid-term or final evaluation with a rubric version.

    Raises ``ValidationError`` when the project is not under way or completed, when the
    evaluation of this kind already exists, or when there is no rubric."""
    _require_staff(by)
    if kind not in EvaluationKind.values:
        raise ValidationError(_("Unknown kind of evaluation."))
    if project.status not in RUNNING_STATUSES:
        raise ValidationError(_("Only projects in progress or completed can be evaluated."))
    rubric = rubric or default_rubric()
    if rubric is None:
        raise ValidationError(_("Create an evaluation rubric first."))
    if not rubric.dimensions.exists():
        raise ValidationError(_("The rubric has no dimensions."))
    if Evaluation.objects.filter(project=project, kind=kind).exists():
        raise ValidationError(
            _("This project already has a %(kind)s.") % {"kind": EvaluationKind(kind).label}
        )
    try:
        with transaction.atomic():
            evaluation = Evaluation.objects.create(
                project=project, kind=kind, rubric=rubric, opened_by=by
            )
    except IntegrityError:
        raise ValidationError(
            _("This project already has a %(kind)s.") % {"kind": EvaluationKind(kind).label}
        ) from None
    log(
        instance=evaluation,
        action="evaluation.open",
        user=by,
        data={"project": project.pk, "kind": kind, "rubric": rubric.pk},
    )
    return evaluation


def assignment_refusal(*, evaluation: Evaluation, evaluator) -> str | None:
    """Why ``evaluator`` may not evaluate ``evaluation`` (``None`` when they may)."""
    if not has_role(evaluator, EVALUATOR):
        return _("%(user)s is not in the Evaluators group.") % {"user": evaluator}
    if evaluation.status != EvaluationStatus.OPEN:
        return _("Evaluators can only be assigned while the evaluation is open.")
    if Membership.objects.filter(
        user=evaluator, organization_id=evaluation.project.organization_id
    ).exists():
        return _("%(user)s is a member of the project's organization and may not evaluate it.") % {
            "user": evaluator
        }
    if Assessment.objects.filter(evaluation=evaluation, evaluator=evaluator).exists():
        return _("%(user)s is already assigned to this evaluation.") % {"user": evaluator}
    return None


@transaction.atomic
def assign_evaluator(*, evaluation: Evaluation, evaluator, by) -> Assessment:
    """Give ``evaluator`` an empty score sheet for ``evaluation``.

    Side effect: audit log. Raises ``ValidationError`` with the reason for a refusal
    (not an evaluator, member of the project's organization, already assigned, closed)."""
    _require_staff(by)
    evaluation = (
        Evaluation.objects.select_for_update().select_related("project").get(pk=evaluation.pk)
    )
    reason = assignment_refusal(evaluation=evaluation, evaluator=evaluator)
    if reason:
        raise ValidationError(reason)
    assessment = Assessment.objects.create(
        evaluation=evaluation, evaluator=evaluator, assigned_by=by
    )
    log(instance=evaluation, action="evaluation.assign", user=by, data={"evaluator": evaluator.pk})
    return assessment


@transaction.atomic
def remove_evaluator(*, assessment: Assessment, by) -> None:
    """Withdraw an evaluator whose sheet is not submitted.

    Raises ``ValidationError`` once the sheet is submitted or the evaluation decided."""
    _require_staff(by)
    assessment = (
        Assessment.objects.select_for_update().select_related("evaluation").get(pk=assessment.pk)
    )
    if assessment.is_locked:
        raise ValidationError(_("This score sheet has been submitted; reopen it instead."))
    if assessment.evaluation.status != EvaluationStatus.OPEN:
        raise ValidationError(_("The evaluation is no longer open."))
    log(
        instance=assessment.evaluation,
        action="evaluation.unassign",
        user=by,
        data={"evaluator": assessment.evaluator_id},
    )
    assessment.delete()


# --- evaluators' sheets ----------------------------------------------------------------------


def _sheet_for_update(assessment: Assessment, by) -> Assessment:
    assessment = (
        Assessment.objects.select_for_update()
        .select_related("evaluation__project", "evaluation__rubric")
        .get(pk=assessment.pk)
    )
    if assessment.evaluator_id != by.pk:
        raise PermissionDenied(_("This is not your evaluation."))
    if not by.has_perm("evaluation.score_evaluations"):
        raise PermissionDenied(_("Only evaluators may score evaluations."))
    if Membership.objects.filter(
        user=by, organization_id=assessment.evaluation.project.organization_id
    ).exists():
        raise PermissionDenied(
            _("You are a member of the project's organization and may not evaluate it.")
        )
    if assessment.evaluation.status != EvaluationStatus.OPEN:
        raise PermissionDenied(_("The evaluation is no longer open."))
    if assessment.is_locked:
        raise PermissionDenied(
            _("This score sheet has been submitted and can no longer be changed.")
        )
    return assessment


@transaction.atomic
def save_assessment(
    *,
    assessment: Assessment,
    by,
    scores: dict[int, Decimal | None],
    adjustments: dict[int, tuple[Decimal | None, str]] | None = None,
    comments: str = "",
    submit: bool = False,
    now: datetime | None = None,
) -> Assessment:
    """Save a draft of, or submit, the evaluator's sheet.

    ``scores`` maps dimension ids to values (0 … the dimension's maximum, two decimals at
    most); ``adjustments`` maps bonus/penalty item ids to ``(points, reason)`` — points
    positive, within the item's maximum, with a reason; bonuses together within the
    rubric's bonus cap, penalties within its penalty cap. On submit every dimension needs a
    score. Totals and the grade are computed here, never taken from the browser;
    submitting locks the sheet. Side effects: audit log of changed scores and the
    submission. Raises ``PermissionDenied`` (not yours, not an evaluator, member of the
    organization, closed, locked) or ``ValidationError`` (a dict: field name → messages;
    fields ``dimension_<id>``, ``points_<id>``, ``bonus``, ``penalty``)."""
    assessment = _sheet_for_update(assessment, by)
    rubric = assessment.evaluation.rubric
    dimensions = list(rubric.dimensions.all())
    items = list(rubric.adjustment_items.all())
    adjustments = adjustments or {}
    if set(scores) - {d.pk for d in dimensions} or set(adjustments) - {i.pk for i in items}:
        raise ValidationError(_("Unknown dimension or item."))
    errors: dict[str, list[str]] = {}
    for d in dimensions:
        problem = dimension_problem(d, scores.get(d.pk), final=submit)
        if problem:
            errors[f"dimension_{d.pk}"] = [problem]
    given: dict[int, tuple[Decimal, str]] = {}
    sums = {AdjustmentKind.BONUS: Decimal(0), AdjustmentKind.PENALTY: Decimal(0)}
    for item in items:
        points, reason = adjustments.get(item.pk, (None, ""))
        problem = adjustment_problem(item, points, reason)
        if problem:
            errors[f"points_{item.pk}"] = [problem]
        elif points:
            given[item.pk] = (points, reason.strip())
            sums[item.kind] += points
    if sums[AdjustmentKind.BONUS] > rubric.bonus_cap:
        errors["bonus"] = [
            _("Bonus points add up to %(sum)s; at most %(cap)s are allowed.")
            % {"sum": num(sums[AdjustmentKind.BONUS]), "cap": num(rubric.bonus_cap)}
        ]
    if sums[AdjustmentKind.PENALTY] > rubric.penalty_cap:
        errors["penalty"] = [
            _("Penalty points add up to %(sum)s; at most %(cap)s are allowed.")
            % {"sum": num(sums[AdjustmentKind.PENALTY]), "cap": num(rubric.penalty_cap)}
        ]
    if errors:
        raise ValidationError(errors)

    changes: dict = scoring.apply_scores(
        sheet=assessment, item_field="dimension", items=dimensions, values=scores
    )
    old_adjustments = {a.item_id: (a.points, a.reason) for a in assessment.adjustments.all()}
    for item in items:
        if item.pk in given:
            if old_adjustments.get(item.pk) != given[item.pk]:
                points, reason = given[item.pk]
                Adjustment.objects.update_or_create(
                    assessment=assessment, item=item, defaults={"points": points, "reason": reason}
                )
                changes[item.name] = {"points": num(points), "reason": reason}
        elif item.pk in old_adjustments:
            Adjustment.objects.filter(assessment=assessment, item=item).delete()
            changes[item.name] = None

    base = sum((v for v in scores.values() if v is not None), Decimal(0))
    assessment.base_total = base
    assessment.bonus_total = sums[AdjustmentKind.BONUS]
    assessment.penalty_total = sums[AdjustmentKind.PENALTY]
    assessment.total = compute_total(
        rubric=rubric, base=base, bonus=assessment.bonus_total, penalty=assessment.penalty_total
    )
    assessment.grade = grade_for(assessment.total)
    assessment.comments = comments.strip()
    if submit:
        assessment.status = AssessmentStatus.SUBMITTED
        assessment.submitted_at = now or timezone.now()
    assessment.save()
    if changes:
        log(
            instance=assessment,
            action="evaluation.score.change",
            user=by,
            data={"changes": changes},
        )
    if submit:
        log(
            instance=assessment,
            action="evaluation.submit",
            user=by,
            data={
                "base": num(base),
                "bonus": num(assessment.bonus_total),
                "penalty": num(assessment.penalty_total),
                "total": num(assessment.total),
                "grade": assessment.grade,
            },
        )
    return assessment


@transaction.atomic
def reopen_assessment(*, assessment: Assessment, by, reason: str) -> Assessment:
    """Staff unlock a submitted sheet (while the evaluation is open) so its evaluator can
    change it. Side effect: audit log with the reason. Raises ``ValidationError``."""
    _require_staff(by)
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Please give the reason for reopening."))
    assessment = (
        Assessment.objects.select_for_update().select_related("evaluation").get(pk=assessment.pk)
    )
    if assessment.evaluation.status != EvaluationStatus.OPEN:
        raise ValidationError(_("Reopen the evaluation first."))
    if not assessment.is_locked:
        raise ValidationError(_("This score sheet is not submitted."))
    assessment.status = AssessmentStatus.DRAFT
    assessment.submitted_at = None
    assessment.save(update_fields=["status", "submitted_at", "updated_at"])
    log(instance=assessment, action="evaluation.sheet.reopen", user=by, data={"reason": reason})
    return assessment


# --- staff decisions -------------------------------------------------------------------------


def _send_on_commit(signal, evaluation: Evaluation, by) -> None:
    transaction.on_commit(lambda: signal.send(sender=Evaluation, evaluation=evaluation, by=by))


def _lock(evaluation: Evaluation) -> Evaluation:
    return (
        Evaluation.objects.select_for_update()
        .select_related("project__organization", "rubric")
        .get(pk=evaluation.pk)
    )


@transaction.atomic
def finalise_evaluation(
    *, evaluation: Evaluation, by, conclusion: str = "", now: datetime | None = None
) -> Evaluation:
    """Fix the evaluation's score (mean of the submitted sheets, to the cent) and grade.

    Needs at least one submitted sheet and no sheet still in draft (remove or wait for
    it). A failed (差) mid-term starts holding the project's next disbursement tranche
    (see ``guards``). Side effects: audit log; ``signals.evaluation_finalised`` after
    commit. Raises ``ValidationError``."""
    _require_staff(by)
    evaluation = _lock(evaluation)
    EVALUATION_TRANSITIONS.check(
        evaluation.status, EvaluationStatus.FINALISED, by=by, obj=evaluation
    )
    sheets = list(evaluation.assessments.all())
    totals = [s.total for s in sheets if s.status == AssessmentStatus.SUBMITTED]
    if not totals:
        raise ValidationError(_("No evaluator has submitted a score sheet yet."))
    if len(totals) != len(sheets):
        raise ValidationError(
            _(
                "Some evaluators have not submitted their score sheets; wait "
                "for them or remove them first."
            )
        )
    evaluation.score = mean_score(totals)
    evaluation.grade = grade_for(evaluation.score)
    evaluation.conclusion = conclusion.strip()
    evaluation.status = EvaluationStatus.FINALISED
    evaluation.finalised_by, evaluation.finalised_at = by, now or timezone.now()
    evaluation.save(
        update_fields=["score", "grade", "conclusion", "status", "finalised_by", "finalised_at"]
    )
    log(
        instance=evaluation,
        action="evaluation.finalise",
        user=by,
        data={"score": num(evaluation.score), "grade": evaluation.grade, "sheets": len(totals)},
    )
    _send_on_commit(evaluation_finalised, evaluation, by)
    return evaluation


@transaction.atomic
def reopen_evaluation(*, evaluation: Evaluation, by, reason: str) -> Evaluation:
    """Take a finalised (not yet published) evaluation back to scoring; its score and grade
    are cleared. Side effect: audit log with the reason. Raises ``ValidationError``."""
    _require_staff(by)
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Please give the reason for reopening."))
    evaluation = _lock(evaluation)
    EVALUATION_TRANSITIONS.check(evaluation.status, EvaluationStatus.OPEN, by=by, obj=evaluation)
    evaluation.status = EvaluationStatus.OPEN
    evaluation.score, evaluation.grade = None, ""
    evaluation.finalised_by = evaluation.finalised_at = None
    evaluation.save(update_fields=["status", "score", "grade", "finalised_by", "finalised_at"])
    log(instance=evaluation, action="evaluation.reopen", user=by, data={"reason": reason})
    return evaluation


@transaction.atomic
def publish_evaluation(*, evaluation: Evaluation, by, now: datetime | None = None) -> Evaluation:
    """Publish a finalised evaluation: its grade and score appear on the project page and
    the organization's profile with a one-week appeal window (异议期).

    Side effects: audit log; on-site notification and email to the organization's
    members; ``signals.evaluation_published`` after commit. Raises ``ValidationError``
    unless finalised."""
    _require_staff(by)
    evaluation = _lock(evaluation)
    EVALUATION_TRANSITIONS.check(
        evaluation.status, EvaluationStatus.PUBLISHED, by=by, obj=evaluation
    )
    now = now or timezone.now()
    evaluation.status = EvaluationStatus.PUBLISHED
    evaluation.published_at = now
    evaluation.appeal_ends_at = now + timedelta(days=APPEAL_DAYS)
    evaluation.save(update_fields=["status", "published_at", "appeal_ends_at"])
    log(
        instance=evaluation,
        action="evaluation.publish",
        user=by,
        data={
            "score": num(evaluation.score),
            "grade": evaluation.grade,
            "appeal_ends_at": evaluation.appeal_ends_at.isoformat(),
        },
    )
    project = evaluation.project
    notify_members(
        organization=project.organization,
        title=gettext_lazy("%(kind)s of “%(title)s” published"),
        body=gettext_lazy(
            "Score %(score)s, grade %(grade)s. Objections may be raised until %(until)s."
        ),
        params={
            "kind": EvaluationKind(evaluation.kind).label,
            "title": project.title,
            "score": num(evaluation.score),
            "grade": Grade(evaluation.grade).label,
            "until": evaluation.appeal_ends_at,
        },
        url=project.get_absolute_url(),
    )
    _send_on_commit(evaluation_published, evaluation, by)
    return evaluation


def hold_reason(evaluation: Evaluation) -> str | None:
    """Why this evaluation holds the project's next tranche (``None`` when it does not)."""
    if (
        evaluation.kind == EvaluationKind.MIDTERM
        and evaluation.grade == Grade.FAIL
        and evaluation.status in DECIDED_STATUSES
        and evaluation.hold_released_at is None
    ):
        return _(
            "The mid-term evaluation of “%(title)s” failed (差, %(score)s points); the "
            "next tranche is held until programme staff release it with a reason."
        ) % {"title": evaluation.project.title, "score": num(evaluation.score)}
    return None


@transaction.atomic
def release_disbursement_hold(
    *, evaluation: Evaluation, by, reason: str, now: datetime | None = None
) -> Evaluation:
    """Staff override: let disbursements continue despite a failed mid-term.

    Side effect: audit log with the reason. Raises ``ValidationError`` without a reason or
    when the evaluation holds nothing."""
    _require_staff(by)
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Please give the reason for releasing the hold."))
    evaluation = _lock(evaluation)
    if hold_reason(evaluation) is None:
        raise ValidationError(_("This evaluation does not hold any disbursement."))
    evaluation.hold_released_by, evaluation.hold_released_at = by, now or timezone.now()
    evaluation.hold_release_reason = reason
    evaluation.save(update_fields=["hold_released_by", "hold_released_at", "hold_release_reason"])
    log(instance=evaluation, action="evaluation.hold.release", user=by, data={"reason": reason})
    return evaluation


# --- residents' feedback ---------------------------------------------------------------------


def feedback_refusal(*, project: Project, user) -> str | None:
    """Why ``user`` may not give feedback on ``project`` (``None`` when they may)."""
    if user is None or not user.is_authenticated:
        return _("Please sign in to rate this project.")
    if project.status not in RUNNING_STATUSES:
        return _("Feedback opens once the project is under way.")
    if Membership.objects.filter(user=user, organization_id=project.organization_id).exists():
        return _("Members of the implementing organization cannot rate their own project.")
    if ResidentFeedback.objects.filter(project=project, user=user).exists():
        return _("You have already rated this project. Thank you!")
    return None


@transaction.atomic
def submit_feedback(*, project: Project, user, rating, comment: str = "") -> ResidentFeedback:
    """Record a resident's rating (1–5) and comment, pending moderation.

    One per person per project (a database constraint backs the check). Side effect: audit
    log. Raises ``ValidationError`` (a dict: ``rating``/``comment``/``__all__`` →
    messages)."""
    reason = feedback_refusal(project=project, user=user)
    if reason:
        raise ValidationError({"__all__": [reason]})
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    comment = (comment or "").strip()
    errors = {}
    if not 1 <= rating <= 5:
        errors["rating"] = [_("Choose a rating from 1 to 5.")]
    if len(comment) > COMMENT_MAX_LENGTH:
        errors["comment"] = [
            _("Keep the comment under %(n)d characters.") % {"n": COMMENT_MAX_LENGTH}
        ]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            feedback = ResidentFeedback.objects.create(
                project=project, user=user, rating=rating, comment=comment
            )
    except IntegrityError:
        raise ValidationError(
            {"__all__": [_("You have already rated this project. Thank you!")]}
        ) from None
    log(instance=feedback, action="evaluation.feedback.submit", user=user, data={"rating": rating})
    return feedback


@transaction.atomic
def moderate_feedback(
    *, feedback: ResidentFeedback, by, publish: bool, note: str = "", now: datetime | None = None
) -> ResidentFeedback:
    """Publish or reject a resident's feedback (a rejection needs a note). A published one
    may later be rejected and vice versa; each decision is logged.

    Raises ``ValidationError`` without a note for a rejection or when nothing changes."""
    _require_staff(by)
    note = note.strip()
    feedback = ResidentFeedback.objects.select_for_update().get(pk=feedback.pk)
    to = FeedbackStatus.PUBLISHED if publish else FeedbackStatus.REJECTED
    if not publish and not note:
        raise ValidationError(_("Please give the reason for rejecting."))
    if feedback.status == to:
        raise ValidationError(
            _("This feedback is already %(status)s.") % {"status": FeedbackStatus(to).label}
        )
    previous = feedback.status
    feedback.status, feedback.moderation_note = to, note
    feedback.moderated_by, feedback.moderated_at = by, now or timezone.now()
    feedback.save(update_fields=["status", "moderation_note", "moderated_by", "moderated_at"])
    log(
        instance=feedback,
        action="evaluation.feedback.moderate",
        user=by,
        data={"from": previous, "to": to, "note": note},
    )
    return feedback
