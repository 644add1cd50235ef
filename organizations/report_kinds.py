"""The ``incubation`` PDF report kind (auto-discovered by ``portal.core.reports``).

ID = ``Residency`` pk: one organization's residency in one cohort (an organization may
go through several cohorts; each has its own record). The report shows the stage
history with dates, the services received, the trainings attended, the latest capacity
assessment as a radar chart and every dimension's trend across assessments.

Access (staff always): the organization's members and the residency's mentor.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.core.reports import data_fingerprint, register_report

from .incubation_selectors import assessment_trend, latest_assessment, residency_record
from .models import (
    AssessmentScore,
    CapacityAssessment,
    Residency,
    ServiceLog,
    StageChange,
    TrainingAttendance,
)

# Capacity dimensions are scored 1–5.
SCORE_MAX = 5


def get_residency(obj_id: int) -> Residency:
    return Residency.objects.select_related("organization", "cohort").get(pk=obj_id)


def incubation_context(residency: Residency) -> dict:
    from portal.core import charts
    from portal.core.money import format_fen

    organization = residency.organization
    stages = list(residency.stage_changes.all())
    services = sorted(residency.service_logs.all(), key=lambda s: (s.provided_on, s.pk))
    trainings = [a for a in residency.attendances.all() if a.attended]
    latest = latest_assessment(residency)
    radar = None
    latest_scores = []
    if latest is not None:
        latest_scores = list(latest.scores.all())
        if latest_scores:
            names = [s.dimension.display_name() for s in latest_scores]
            values = [s.score for s in latest_scores]
            title = _("Capacity assessment of %(date)s (1–5)") % {
                "date": latest.assessed_on.isoformat()
            }
            if len(latest_scores) >= 3:
                radar = charts.radar_chart(
                    title=title, dimensions=names, series=values, max_value=SCORE_MAX
                )
            else:
                radar = charts.bar_chart(
                    title=title, labels=names, series=values, max_value=SCORE_MAX
                )
    labels, series = assessment_trend(residency)
    trend = None
    if len(labels) >= 2 and series:
        trend = charts.line_chart(
            title=_("Capacity scores across assessments"),
            x_labels=labels,
            series=series,
            max_value=SCORE_MAX,
        )
    total_hours = sum(s.hours for s in services)
    grants = sum(s.grant_amount or 0 for s in services)
    training_hours = sum(a.session.hours for a in trainings)
    return {
        "title": organization.name,
        "running_title": _("Incubation record: %(name)s") % {"name": organization.name},
        "subtitle": str(residency.cohort),
        "cover": True,
        "reference": f"R-{residency.pk}",
        "cover_facts": [
            (_("Cohort"), str(residency.cohort)),
            (_("Status"), residency.get_status_display()),
            (_("Current stage"), str(residency.stage) if residency.stage else "—"),
            (
                _("Mentor"),
                (residency.mentor.get_full_name() or residency.mentor.get_username())
                if residency.mentor
                else "—",
            ),
        ],
        "residency": residency,
        "organization": organization,
        "stages": stages,
        "services": services,
        "total_hours": total_hours,
        "grants": format_fen(grants, organization.currency) if grants else "",
        "trainings": trainings,
        "training_hours": training_hours,
        "latest": latest,
        "latest_scores": latest_scores,
        "assessment_count": len(labels),
        "radar": radar,
        "trend": trend,
        "trend_labels": labels,
        "trend_rows": [(name, values) for name, values in series.items()],
    }


def build_incubation(obj_id: int, language: str) -> tuple[str, dict]:
    return "organizations/reports/incubation.html", incubation_context(residency_record(obj_id))


def incubation_fingerprint(obj_id: int) -> str:
    residency = Residency.objects.select_related("organization", "cohort", "stage", "mentor").get(
        pk=obj_id
    )
    return data_fingerprint(
        "incubation-v1",
        residency.organization.name,
        residency.organization.currency,
        str(residency.cohort),
        residency.status,
        residency.stage_id,
        residency.mentor_id,
        residency.mentor.get_full_name() if residency.mentor else "",
        list(
            StageChange.objects.filter(residency_id=obj_id)
            .values_list("pk", "stage_id", "stage__name", "stage__name_en", "changed_on", "note")
            .order_by("pk")
        ),
        list(
            ServiceLog.objects.filter(residency_id=obj_id)
            .values_list("pk", "kind", "provided_on", "hours", "grant_amount", "description")
            .order_by("pk")
        ),
        list(
            TrainingAttendance.objects.filter(residency_id=obj_id)
            .values_list(
                "pk",
                "attendee_name",
                "attended",
                "session__title",
                "session__held_on",
                "session__hours",
            )
            .order_by("pk")
        ),
        list(
            CapacityAssessment.objects.filter(residency_id=obj_id)
            .values_list("pk", "assessed_on", "summary")
            .order_by("pk")
        ),
        list(
            AssessmentScore.objects.filter(assessment__residency_id=obj_id)
            .values_list(
                "pk", "dimension_id", "dimension__name", "dimension__name_en", "score", "evidence"
            )
            .order_by("pk")
        ),
    )


register_report(
    "incubation",
    label=gettext_lazy("Incubation record"),
    get_object=get_residency,
    build=build_incubation,
    permission="organizations.view_incubation_record",
    fingerprint=incubation_fingerprint,
)
