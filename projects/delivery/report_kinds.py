"""Delivery data for the ``project`` final report (registered by
``projects/evaluation/report_kinds.py``, which calls :func:`fill_project_report`).

Registers no kind itself: it adds milestones, indicator actuals (the latest accepted
progress report's value per indicator), the budget lines frozen when delivery started
and the variance explanations to a ``portal.core.report_sections.ProjectReportData``.
"""

from __future__ import annotations

from portal.core.reports import data_fingerprint

from .enums import MilestoneStatus, ReportStatus
from .models import Delivery, IndicatorActual, Milestone, VarianceExplanation


def _number(value) -> str:
    text = format(value.normalize(), "f") if hasattr(value, "normalize") else str(value)
    return text


def fill_project_report(project, data) -> None:
    """Add the delivery record of ``project`` (if any) to ``data`` in place."""
    from portal.core.report_sections import merge_budget

    delivery = Delivery.objects.filter(project=project).first()
    if delivery is None:
        return
    data.has_delivery = True
    data.extra["delivery_stage"] = delivery.get_stage_display()
    data.extra["agreement_signed_on"] = delivery.agreement_signed_on
    data.extra["termination_reason"] = delivery.termination_reason
    data.milestones = [
        {"name": m.title, "due": m.due_on, "done": m.completed_on, "status": m.get_status_display()}
        for m in Milestone.objects.filter(delivery=delivery)
        .exclude(status=MilestoneStatus.CANCELLED)
        .order_by("due_on", "pk")
    ]
    latest: dict[str, str] = {}
    for actual in IndicatorActual.objects.filter(
        report__delivery=delivery, report__status=ReportStatus.ACCEPTED
    ).order_by("report__period_end", "report__pk", "sort_order", "pk"):
        latest[actual.name] = _number(actual.actual)
    indicators = [dict(i) for i in data.indicators]
    if delivery.indicators:
        by_name = {i.get("name"): i for i in indicators}
        indicators = [{**by_name.get(line.get("name"), {}), **line} for line in delivery.indicators]
        for line in indicators:
            line.setdefault("method", "")
            if "kind" in line and line["kind"] in ("output", "outcome"):
                from projects.enums import IndicatorKind

                line["kind"] = IndicatorKind(line["kind"]).label
    for line in indicators:
        if line.get("name") in latest:
            line["actual"] = latest[line["name"]]
    data.indicators = indicators
    if delivery.budget_lines:
        from projects.enums import BudgetCategory, FundingSource

        planned = [
            (
                line.get("line", ""),
                int(line.get("amount") or 0),
                BudgetCategory(line["category"]).label
                if line.get("category") in BudgetCategory.values
                else "",
                FundingSource(line["source"]).label
                if line.get("source") in FundingSource.values
                else "",
            )
            for line in delivery.budget_lines
        ]
        actual = list(project.expenditures.values_list("budget_line", "amount").order_by("pk"))
        data.budget = merge_budget(planned, actual)
    explanations = dict(
        VarianceExplanation.objects.filter(delivery=delivery).values_list(
            "budget_line", "explanation"
        )
    )
    for line in data.budget:
        line.explanation = explanations.get(line.name, "")
    data.extra.update(closing_report_data(delivery))


# Photos in the final report: at most this many, scaled to this many pixels a side.
REPORT_PHOTOS = 6
REPORT_PHOTO_SIDE = 800


def _photo_uri(photo) -> str:
    """A report photo as a small JPEG data: URI (the PDF renderer fetches nothing else);
    empty when the file cannot be read."""
    import base64
    import io

    from PIL import Image

    try:
        with photo.image.open("rb") as handle, Image.open(handle) as image:
            image = image.convert("RGB")
            image.thumbnail((REPORT_PHOTO_SIDE, REPORT_PHOTO_SIDE))
            out = io.BytesIO()
            image.save(out, format="JPEG", quality=80)
    except (OSError, ValueError):
        return ""
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def closing_report_data(delivery: Delivery) -> dict:
    """What the 结项报告 adds from delivery and funding: the accepted final report's
    narrative, every accepted report's beneficiaries, photos of accepted reports, the
    tranches, leftover money (结余资金) and how the project was closed. A fixed number
    of queries (plus one file read per photo)."""
    from funding.models import Disbursement, LeftoverTransfer
    from funding.services.leftover import leftover_of

    from .closing import ITEM_LABELS
    from .enums import ReportKind
    from .models import Closure, ProgressReport, ReportPhoto

    project = delivery.project
    accepted = list(
        ProgressReport.objects.filter(delivery=delivery, status=ReportStatus.ACCEPTED).order_by(
            "period_end", "pk"
        )
    )
    finals = [r for r in accepted if r.kind == ReportKind.FINAL]
    photos = [
        {"uri": uri, "caption": photo.caption, "date": photo.report.period_end}
        for photo in ReportPhoto.objects.filter(
            report__delivery=delivery, report__status=ReportStatus.ACCEPTED
        )
        .select_related("report")
        .order_by("-report__period_end", "pk")[:REPORT_PHOTOS]
        if (uri := _photo_uri(photo))
    ]
    closure = Closure.objects.filter(delivery=delivery).first()
    left = leftover_of(project)
    return {
        "final_report": finals[-1] if finals else None,
        "accepted_reports": [
            {
                "kind": r.get_kind_display(),
                "period_end": r.period_end,
                "beneficiaries": r.beneficiaries_reached,
            }
            for r in accepted
        ],
        "photos": photos,
        "tranches": [
            {
                "tranche": t.tranche,
                "amount": t.amount,
                "currency": t.currency,
                "status": t.get_status_display(),
                "paid_on": t.paid_on,
                "milestone": t.milestone,
            }
            for t in Disbursement.objects.filter(project=project).order_by("tranche")
        ],
        "leftover_transfers": [
            {
                "destination": t.get_destination_display(),
                "to": t.pool.name
                if t.pool
                else (t.target_project.title if t.target_project else ""),
                "undisbursed": t.undisbursed,
                "unspent": t.unspent,
                "currency": t.currency,
                "status": t.get_status_display(),
                "date": t.approved_at or t.created_at,
            }
            for t in LeftoverTransfer.objects.filter(project=project)
            .exclude(status__in=["rejected", "cancelled"])
            .select_related("pool", "target_project")
            .order_by("created_at", "pk")
        ],
        "leftover_now": {"undisbursed": left.undisbursed, "unspent": left.unspent},
        "closure": {
            "closed_at": closure.closed_at,
            "note": closure.note,
            "overrides": [
                (str(ITEM_LABELS.get(o.get("item"), o.get("item"))), o.get("reason", ""))
                for o in closure.overrides
            ],
        }
        if closure
        else None,
        "has_closing": True,
    }


def delivery_fingerprint(project_id: int) -> str:
    from funding.models import Disbursement, LeftoverTransfer

    from .models import Closure, ProgressReport, ReportPhoto

    delivery = Delivery.objects.filter(project_id=project_id).first()
    if delivery is None:
        return ""
    return data_fingerprint(
        "delivery-v2",
        delivery.stage,
        delivery.agreement_signed_on,
        delivery.termination_reason,
        delivery.budget_lines,
        delivery.indicators,
        list(
            Milestone.objects.filter(delivery=delivery)
            .values_list("pk", "title", "due_on", "status", "completed_on")
            .order_by("pk")
        ),
        list(
            IndicatorActual.objects.filter(report__delivery=delivery)
            .values_list("pk", "report__status", "name", "actual")
            .order_by("pk")
        ),
        list(
            VarianceExplanation.objects.filter(delivery=delivery)
            .values_list("budget_line", "explanation")
            .order_by("budget_line")
        ),
        # The closing sections: reports (narrative, beneficiaries), photos, tranches,
        # leftover transfers and the closure.
        list(
            ProgressReport.objects.filter(delivery=delivery)
            .values_list("pk", "status", "narrative", "beneficiaries_reached")
            .order_by("pk")
        ),
        list(
            ReportPhoto.objects.filter(report__delivery=delivery)
            .values_list("pk", "caption")
            .order_by("pk")
        ),
        list(
            Disbursement.objects.filter(project_id=project_id)
            .values_list("pk", "status", "amount", "paid_on")
            .order_by("pk")
        ),
        list(
            LeftoverTransfer.objects.filter(project_id=project_id)
            .values_list("pk", "status", "undisbursed", "unspent")
            .order_by("pk")
        ),
        list(Closure.objects.filter(delivery=delivery).values_list("pk", "overrides", "note")),
    )
