"""The ``project`` final report (auto-discovered by ``portal.core.reports``).

Registered here, the highest app of the graph that holds its data: evaluations (score,
grade, mean of the submitted score sheets per dimension, conclusion) and residents'
published feedback come from this app; objectives, indicators, budget and money from
the approved application and the ledger (``projects.review.report_kinds``); milestones,
indicator actuals and variance explanations from ``projects.delivery`` when that app is
installed and has a delivery record for the project (read through ``apps.get_model``,
so this module imports only what exists). Layout and strings: ``portal.core.report_sections``.

ID = ``Project`` pk. Access: ``projects.view_project_report`` (projects/rules.py).
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Avg
from django.utils.translation import get_language

from portal.core.reports import PROJECT_LABEL, data_fingerprint, register_report
from projects.review.report_kinds import (
    get_project,
    project_fingerprint,
    project_report_data,
)

from .enums import DECIDED_STATUSES, AssessmentStatus, EvaluationKind, FeedbackStatus
from .models import DimensionScore, Evaluation, ResidentFeedback
from .selectors import feedback_summary

FEEDBACK_LIMIT = 50


def _evaluations(project_id: int, language: str):
    from portal.core.report_sections import Evaluation as EvaluationSection

    evaluations = list(
        Evaluation.objects.filter(project_id=project_id, status__in=DECIDED_STATUSES)
        .select_related("rubric")
        .prefetch_related("rubric__dimensions")
    )
    order = {EvaluationKind.MIDTERM: 0, EvaluationKind.FINAL: 1}
    evaluations.sort(key=lambda e: order.get(e.kind, 9))
    means = {
        (row["assessment__evaluation_id"], row["dimension_id"]): row["mean"]
        for row in DimensionScore.objects.filter(
            assessment__evaluation__in=evaluations, assessment__status=AssessmentStatus.SUBMITTED
        )
        .values("assessment__evaluation_id", "dimension_id")
        .annotate(mean=Avg("value"))
    }
    sections = []
    for evaluation in evaluations:
        dimensions = []
        for dimension in evaluation.rubric.dimensions.all():
            mean = means.get((evaluation.pk, dimension.pk))
            dimensions.append(
                (
                    dimension.display_name(language),
                    Decimal(str(mean)).quantize(Decimal("0.1")) if mean is not None else None,
                    dimension.max_score.normalize(),
                )
            )
        sections.append(
            EvaluationSection(
                label=evaluation.get_kind_display(),
                score=evaluation.score,
                grade=evaluation.get_grade_display(),
                dimensions=dimensions,
                summary=evaluation.conclusion,
                date=evaluation.published_at or evaluation.finalised_at,
            )
        )
    return sections


def _delivery(project, data) -> None:
    """Milestones, indicator actuals and variance explanations from projects.delivery."""
    from django.apps import apps

    if not apps.is_installed("projects.delivery"):
        return
    try:
        from projects.delivery.report_kinds import fill_project_report
    except ImportError:
        return
    fill_project_report(project, data)


def build_project(obj_id: int, language: str) -> tuple[str, dict]:
    from portal.core.report_sections import PROJECT_TEMPLATE, project_report_context

    project = get_project(obj_id)
    data = project_report_data(project)
    data.evaluations = _evaluations(project.pk, language or get_language())
    summary = feedback_summary(project.pk)
    data.feedback = [
        {"rating": f.rating, "comment": f.comment, "date": f.created_at}
        for f in ResidentFeedback.objects.filter(
            project=project, status=FeedbackStatus.PUBLISHED
        ).order_by("-created_at", "-pk")[:FEEDBACK_LIMIT]
    ]
    data.extra["feedback_summary"] = summary
    _delivery(project, data)
    context = project_report_context(data)
    if summary.count:
        context["feedback_count"] = summary.count
        context["feedback_mean"] = f"{summary.average}"
    return PROJECT_TEMPLATE, context


def evaluated_project_fingerprint(obj_id: int) -> str:
    from django.apps import apps

    delivery = ""
    if apps.is_installed("projects.delivery"):
        try:
            from projects.delivery.report_kinds import delivery_fingerprint
        except ImportError:
            delivery = ""
        else:
            delivery = delivery_fingerprint(obj_id)
    return data_fingerprint(
        "project-evaluation-v1",
        project_fingerprint(obj_id),
        list(
            Evaluation.objects.filter(project_id=obj_id)
            .values_list(
                "pk",
                "kind",
                "status",
                "score",
                "grade",
                "conclusion",
                "published_at",
                "finalised_at",
            )
            .order_by("pk")
        ),
        list(
            DimensionScore.objects.filter(assessment__evaluation__project_id=obj_id)
            .values_list("pk", "assessment__status", "value")
            .order_by("pk")
        ),
        list(
            ResidentFeedback.objects.filter(project_id=obj_id)
            .values_list("pk", "status", "rating", "comment")
            .order_by("pk")
        ),
        delivery,
    )


register_report(
    "project",
    label=PROJECT_LABEL,
    get_object=get_project,
    build=build_project,
    permission="projects.view_project_report",
    fingerprint=evaluated_project_fingerprint,
)
