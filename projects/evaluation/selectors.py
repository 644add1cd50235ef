"""Reads for the public sections, the evaluator's queue and the staff dashboard."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from .enums import AssessmentStatus, EvaluationKind, FeedbackStatus
from .models import Assessment, Evaluation, ResidentFeedback

STARS = (5, 4, 3, 2, 1)


@dataclass
class FeedbackSummary:
    count: int = 0
    average: Decimal | None = None
    # (stars, count, percent of all) from 5 stars down to 1.
    distribution: list[tuple[int, int, int]] = field(default_factory=list)


def feedback_summary(project_id: int) -> FeedbackSummary:
    """Count, average (one decimal) and 5…1 star distribution of the project's published
    feedback. One query."""
    row = ResidentFeedback.objects.filter(
        project_id=project_id, status=FeedbackStatus.PUBLISHED
    ).aggregate(
        count=Count("pk"),
        average=Avg("rating"),
        **{f"s{n}": Count("pk", filter=Q(rating=n)) for n in STARS},
    )
    count = row["count"] or 0
    average = None
    if count:
        average = Decimal(str(row["average"])).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    distribution = [
        (n, row[f"s{n}"], round(100 * row[f"s{n}"] / count) if count else 0) for n in STARS
    ]
    return FeedbackSummary(count=count, average=average, distribution=distribution)


def published_feedback(project_id: int, limit: int = 10) -> list[ResidentFeedback]:
    """The latest published comments (with their authors). One query."""
    return list(
        ResidentFeedback.objects.filter(project_id=project_id, status=FeedbackStatus.PUBLISHED)
        .exclude(comment="")
        .select_related("user")
        .order_by("-created_at", "-pk")[:limit]
    )


def own_feedback(project_id: int, user) -> ResidentFeedback | None:
    if user is None or not user.is_authenticated:
        return None
    return ResidentFeedback.objects.filter(project_id=project_id, user=user).first()


def public_name(user) -> str:
    """How a resident is shown publicly: the first character of their name, masked."""
    name = (user.get_full_name() or user.get_username() or "").strip()
    return f"{name[:1]}**" if name else "**"


def published_evaluations(project_id: int) -> list[Evaluation]:
    """The project's published evaluations, mid-term first. One query."""
    evaluations = list(Evaluation.objects.published().filter(project_id=project_id))
    order = {EvaluationKind.MIDTERM: 0, EvaluationKind.FINAL: 1}
    return sorted(evaluations, key=lambda e: order.get(e.kind, 9))


def organization_grades(organization_id: int, limit: int = 50) -> list[Evaluation]:
    """Published evaluations of the organization's projects, newest first. One query."""
    return list(
        Evaluation.objects.published()
        .filter(project__organization_id=organization_id)
        .select_related("project")
        .order_by("-published_at", "-pk")[:limit]
    )


def in_appeal_window(evaluation: Evaluation, now=None) -> bool:
    now = now or timezone.now()
    return bool(evaluation.appeal_ends_at and now < evaluation.appeal_ends_at)


def queue_for_evaluator(user) -> list[Assessment]:
    """The evaluator's score sheets, open evaluations first. One query."""
    return list(
        Assessment.objects.filter(evaluator=user)
        .select_related("evaluation__project__organization", "evaluation__rubric")
        .order_by("status", "-evaluation__created_at", "pk")
    )


def assessment_for(user, pk: int) -> Assessment:
    """The user's own sheet ``pk`` or ``Http404`` (another evaluator's is never revealed)."""
    try:
        return Assessment.objects.select_related(
            "evaluation__project__organization", "evaluation__rubric", "evaluator"
        ).get(pk=pk, evaluator=user)
    except Assessment.DoesNotExist:
        raise Http404 from None


def evaluations_overview() -> QuerySet[Evaluation]:
    """Every evaluation with its sheet counts, for the staff dashboard. One query."""
    return (
        Evaluation.objects.select_related("project__organization", "rubric")
        .annotate(
            n_sheets=Count("assessments", distinct=True),
            n_submitted=Count(
                "assessments",
                distinct=True,
                filter=Q(assessments__status=AssessmentStatus.SUBMITTED),
            ),
        )
        .order_by("status", "-created_at", "-pk")
    )


def evaluation_detail(pk: int) -> Evaluation:
    try:
        return Evaluation.objects.select_related(
            "project__organization", "rubric", "finalised_by", "hold_released_by"
        ).get(pk=pk)
    except Evaluation.DoesNotExist:
        raise Http404 from None


def sheets_with_scores(evaluation: Evaluation) -> list[Assessment]:
    """The evaluation's sheets with their scores and adjustments. Three queries."""
    return list(
        evaluation.assessments.select_related("evaluator")
        .prefetch_related("scores__dimension", "adjustments__item")
        .order_by("pk")
    )
