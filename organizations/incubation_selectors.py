"""Reads for incubation pages and the graduation checklist."""

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _

from .enums import RegistrationKind
from .models import (
    AssessmentDimension,
    AssessmentScore,
    CapacityAssessment,
    Residency,
    TrainingAttendance,
)

# Project statuses (projects app) that mean the project was funded.
FUNDED_PROJECT_STATUSES = ("approved", "in_progress", "completed")


def residency_record(pk: int) -> Residency:
    """A residency with everything its record page shows."""
    return (
        Residency.objects.select_related("cohort", "organization", "stage", "mentor")
        .prefetch_related(
            "stage_changes__stage",
            "service_logs__provided_by",
            Prefetch(
                "assessments",
                queryset=CapacityAssessment.objects.prefetch_related(
                    Prefetch("scores", queryset=AssessmentScore.objects.select_related("dimension"))
                ).select_related("assessor"),
            ),
            Prefetch("attendances", queryset=TrainingAttendance.objects.select_related("session")),
        )
        .get(pk=pk)
    )


def residencies_for_user(user) -> QuerySet[Residency]:
    """Residencies of the user's organizations and those the user mentors."""
    from django.db.models import Q

    return (
        Residency.objects.filter(Q(organization__memberships__user=user) | Q(mentor=user))
        .select_related("cohort", "organization", "stage")
        .distinct()
        .order_by("-applied_at")
    )


def latest_assessment(residency: Residency) -> CapacityAssessment | None:
    assessments = list(residency.assessments.all())
    return assessments[-1] if assessments else None


def graduation_checklist(residency: Residency) -> list[dict]:
    """Graduation criteria with whether each passes:

    every active dimension ≥ the cohort's minimum in the latest assessment; the
    organization registered (credit code); at least one funded project; an agreement.
    """
    minimum = residency.cohort.graduation_min_score
    latest = latest_assessment(residency)
    dimensions = list(AssessmentDimension.objects.filter(is_active=True))
    scores = {s.dimension_id: s.score for s in latest.scores.all()} if latest else {}
    low = [d.display_name() for d in dimensions if scores.get(d.pk, 0) < minimum]
    organization = residency.organization
    funded = organization.projects.filter(status__in=FUNDED_PROJECT_STATUSES).exists()
    return [
        {
            "label": _("Every capacity dimension scored at least %(min)s") % {"min": minimum},
            "passed": latest is not None and not low,
            "detail": "、".join(low) if latest else _("No assessment yet"),
        },
        {
            "label": _("Registered with the civil-affairs authorities"),
            "passed": organization.registration_kind == RegistrationKind.REGISTERED
            and bool(organization.credit_code),
            "detail": organization.get_registration_kind_display(),
        },
        {"label": _("At least one funded project"), "passed": funded, "detail": ""},
        {
            "label": _("Residency agreement on file"),
            "passed": bool(residency.agreement),
            "detail": "",
        },
    ]


def assessment_trend(residency: Residency) -> tuple[list[str], dict[str, list[int | None]]]:
    """Assessment dates and, per dimension, the score at each date (None if not scored)."""
    assessments = list(residency.assessments.all())
    labels = [a.assessed_on.isoformat() for a in assessments]
    dimensions = list(AssessmentDimension.objects.all())
    series = {}
    for dimension in dimensions:
        values = []
        for assessment in assessments:
            by_dimension = {s.dimension_id: s.score for s in assessment.scores.all()}
            values.append(by_dimension.get(dimension.pk))
        if any(v is not None for v in values):
            series[dimension.display_name()] = values
    return labels, series
