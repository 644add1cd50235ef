"""Delivery data for the ``project`` final report (registered by
``projects/evaluation/report_kinds.py``, which calls :func:`fill_project_report`).

Registers no kind itself: it adds milestones, indicator actuals (the latest accepted
progress report's value per indicator), the budget lines frozen when delivery started
and the variance explanations to a ``portal.report_sections.ProjectReportData``.
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
    from portal.report_sections import merge_budget

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


def delivery_fingerprint(project_id: int) -> str:
    delivery = Delivery.objects.filter(project_id=project_id).first()
    if delivery is None:
        return ""
    return data_fingerprint(
        "delivery-v1",
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
    )
