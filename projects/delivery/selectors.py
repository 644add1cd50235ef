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
    """The member's funded projects with counts of open and returned reports and the
    money disbursed to and spent by each (one query)."""
    from django.db.models import Value
    from django.db.models.functions import Coalesce

    return (
        Delivery.objects.for_member(user)
        .select_related("project__organization")
        .annotate(
            disbursed=Coalesce("project__balance__disbursed", Value(0)),
            spent=Coalesce("project__balance__spent", Value(0)),
        )
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
    the photos of accepted reports, and the budget summary: spent (reviewed spending,
    as a share of the budget that is not capped at 100%) and awaiting review (spending of
    reports not accepted yet). Five queries whatever the number of milestones and
    photos; ``None`` (one query) without a delivery."""
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
    recorded = sum(r.actual for r in rows)
    pending = pending_spending(delivery)
    actual = recorded - pending
    percent = actual * 100 // budget if budget else None
    return {
        "delivery": delivery,
        "milestones": milestones,
        "other_photos": other_photos,
        "budget": budget,
        "actual": actual,
        "pending": pending,
        # Not capped: spending above the budget is shown as such (136%, not 100%).
        "spent_percent": percent,
        "bar_percent": min(percent, 100) if percent is not None else None,
        "over_budget": actual - budget if budget and actual > budget else 0,
    }


def pending_spending_of_project(project) -> int:
    """:func:`pending_spending` by project (0 without a delivery); registered with
    ``funding.selectors.pending_spending_providers``. One query."""
    from django.db.models import Sum

    return (
        ProgressReport.objects.filter(delivery__project_id=project.pk)
        .exclude(status=ReportStatus.ACCEPTED)
        .aggregate(total=Sum("expenditures__amount"))["total"]
        or 0
    )


def pending_spending(delivery: Delivery) -> int:
    """Spending recorded with progress reports that staff have not accepted yet (fen):
    it is real money out (funding counts it against what was disbursed) but the public
    sees it as *awaiting review*, not as spent. One query."""
    from django.db.models import Sum

    return (
        ProgressReport.objects.filter(delivery=delivery)
        .exclude(status=ReportStatus.ACCEPTED)
        .aggregate(total=Sum("expenditures__amount"))["total"]
        or 0
    )


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


def disbursement_facts(project) -> list[tuple[str, str]]:
    """What the tranche approval page shows about the project's delivery (registered
    with ``funding.selectors.disbursement_context_providers``): stage, agreement signed
    (and when) and the budget. One query; nothing without a delivery."""
    from django.utils.translation import gettext as _

    from portal.core.money import format_fen

    from .enums import DeliveryStage

    delivery = Delivery.objects.filter(project_id=project.pk).first()
    if delivery is None:
        return [(_("Funded project"), _("No delivery record"))]
    signed = delivery.agreement_signed_on
    return [
        (_("Stage"), DeliveryStage(delivery.stage).label),
        (
            _("Agreement signed?"),
            _("Yes, on %(date)s") % {"date": signed.isoformat()} if signed else _("No"),
        ),
        (_("Budget"), format_fen(delivery.budget_total, project.currency)),
    ]


def delivery_money(delivery: Delivery) -> dict:
    """The organization's view of its project's money: raised and matched, disbursed,
    spent (reviewed) and awaiting review, disbursed but unspent (less unspent money
    returned as leftover), every leftover transfer recorded or approved, every tranche
    with its status, payment date and reason, and every hold on the next tranche (translated
    reasons; none once the project has ended). A fixed number of queries."""
    from funding.models import Disbursement, LeftoverTransfer
    from funding.selectors import project_money
    from funding.services.leftover import returned_unspent
    from funding.services.spending import disbursement_holds

    from .enums import END_STAGES

    project = delivery.project
    money = project_money(project)
    returned = returned_unspent(project.pk)
    pending = min(pending_spending(delivery), money.spent) if money.spent else 0
    return {
        "money": money,
        "reviewed": money.spent - pending,
        "pending": pending,
        # Less what it returned as leftover money (结余资金) when the project ended.
        "unspent": max(money.disbursed - money.spent - returned, 0),
        "leftover": [
            t
            for t in LeftoverTransfer.objects.filter(project=project)
            .select_related("pool", "target_project")
            .order_by("created_at", "pk")
            if t.status in ("recorded", "approved")
        ],
        "tranches": list(Disbursement.objects.filter(project=project).order_by("tranche")),
        "holds": [] if delivery.stage in END_STAGES else disbursement_holds(project, 0),
    }


def updates_for_donor(user, *, limit: int = 10) -> list[ProgressReport]:
    """Accepted progress reports of the projects the signed-in donor gave to (gifts that
    counted, as ``funding.selectors.donations_of`` finds them: their account's and guest
    gifts under a verified address), latest decision first, at most ``limit``. Two
    queries (the verified addresses, then the reports with a subquery of the gifts'
    projects), whatever the number of gifts or reports."""
    from funding.enums import DonationStatus
    from funding.selectors import donations_of

    if not (user and user.is_authenticated):
        return []
    projects = (
        donations_of(user)
        .filter(status=DonationStatus.SUCCEEDED, project__isnull=False)
        .order_by()
        .values("project_id")
    )
    return list(
        ProgressReport.objects.filter(
            status=ReportStatus.ACCEPTED, delivery__project_id__in=projects
        )
        .select_related("delivery__project")
        .order_by("-decided_at", "-pk")[:limit]
    )
