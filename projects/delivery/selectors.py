"""Reads for delivery pages, with their queries counted and constant."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Count, Max, Prefetch, Q

from .enums import (
    ACTIVE_STAGES,
    AWAITING_DECISION,
    REPORT_INTERVAL_DAYS,
    MilestoneStatus,
    ReportStatus,
)
from .models import Delivery, DeliveryEvent, Milestone, ProgressReport, ReportPhoto
from .services import budget_vs_actual

PUBLIC_MILESTONES = (MilestoneStatus.PLANNED, MilestoneStatus.COMPLETED)


def deliveries_for_member(user):
    """The member's funded projects with counts of open and returned reports (one query)."""
    return (
        Delivery.objects.for_member(user)
        .select_related("project__organization")
        .annotate(
            awaiting=Count(
                "reports", filter=Q(reports__status__in=AWAITING_DECISION), distinct=True
            ),
            returned=Count(
                "reports", filter=Q(reports__status=ReportStatus.RETURNED), distinct=True
            ),
        )
        .order_by("project__title")
        .distinct()
    )


def delivery_detail(pk: int):
    """One delivery with everything its page shows (fixed number of queries)."""
    return (
        Delivery.objects.select_related("project__organization", "project__call")
        .prefetch_related(
            Prefetch("events", queryset=DeliveryEvent.objects.select_related("actor")),
            Prefetch("milestones", queryset=Milestone.objects.order_by("due_on", "pk")),
            Prefetch(
                "reports",
                queryset=ProgressReport.objects.select_related(
                    "milestone", "submitted_by", "decided_by"
                ),
            ),
        )
        .filter(pk=pk)
        .first()
    )


def report_detail(delivery: Delivery, pk: int):
    return (
        ProgressReport.objects.filter(delivery=delivery, pk=pk)
        .select_related("milestone", "submitted_by", "decided_by")
        .prefetch_related("indicator_actuals", "photos", "expenditures")
        .first()
    )


def public_section(project_id: int) -> dict | None:
    """What the public project page shows: stage, agreed and completed milestones with
    the photos of accepted reports, and the budget summary. Four queries whatever the
    number of milestones and photos; ``None`` (one query) without a delivery."""
    delivery = Delivery.objects.filter(project_id=project_id).first()
    if delivery is None:
        return None
    milestones = list(delivery.milestones.filter(status__in=PUBLIC_MILESTONES))
    photos = list(
        ReportPhoto.objects.filter(report__delivery=delivery, report__status=ReportStatus.ACCEPTED)
        .select_related("report")
        .order_by("report__period_end", "pk")
    )
    by_milestone: dict[int | None, list] = {}
    for photo in photos:
        by_milestone.setdefault(photo.report.milestone_id, []).append(photo)
    for milestone in milestones:
        milestone.public_photos = by_milestone.pop(milestone.pk, [])
    other_photos = [p for group in by_milestone.values() for p in group]
    rows = budget_vs_actual(delivery, explanations=False)
    budget = sum(r.budget for r in rows)
    actual = sum(r.actual for r in rows)
    return {
        "delivery": delivery,
        "milestones": milestones,
        "other_photos": other_photos,
        "budget": budget,
        "actual": actual,
        "spent_percent": min(100, actual * 100 // budget) if budget else None,
    }


def overdue_milestones(today: date):
    """Agreed milestones past their due date in projects still being delivered."""
    return (
        Milestone.objects.filter(
            status=MilestoneStatus.PLANNED, due_on__lt=today, delivery__stage__in=ACTIVE_STAGES
        )
        .select_related("delivery__project__organization")
        .order_by("due_on", "pk")
    )


def overdue_report_deliveries(today: date):
    """Deliveries in progress whose last report (or, before any, the agreement) is more
    than ``REPORT_INTERVAL_DAYS`` old and that have no report awaiting a decision."""
    cutoff = today - timedelta(days=REPORT_INTERVAL_DAYS)
    return (
        Delivery.objects.filter(stage__in=ACTIVE_STAGES)
        .annotate(
            last_report=Max("reports__period_end"),
            open_reports=Count("reports", filter=Q(reports__status__in=AWAITING_DECISION)),
        )
        .filter(open_reports=0)
        .filter(
            Q(last_report__lt=cutoff)
            | Q(last_report__isnull=True, agreement_signed_on__lt=cutoff)
            | Q(
                last_report__isnull=True,
                agreement_signed_on__isnull=True,
                created_at__date__lt=cutoff,
            )
        )
        .select_related("project__organization")
        .order_by("pk")
    )
