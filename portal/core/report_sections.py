"""Report sections shared by report kinds of several apps (strings in portal's catalogue).

The project final report is assembled from plain data by :func:`project_report_context`:
its builder (``projects/review/report_kinds.py`` today, the delivery/evaluation app
once those exist) gathers facts and figures and hands them over here, so the layout
and translations stay in one place whichever app registers the kind.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

# Variance above this share of a budget line needs an explanation (issue: "above 10%").
VARIANCE_LIMIT_PERCENT = 10

PROJECT_TEMPLATE = "reports/project.html"


@dataclass
class BudgetLine:
    """One budget line: planned amount and actual spending in minor units."""

    name: str
    planned: int | None
    actual: int = 0
    category: str = ""
    source: str = ""
    explanation: str = ""

    @property
    def variance_percent(self) -> int | None:
        if not self.planned:
            return None
        return round((self.actual - self.planned) * 100 / self.planned)

    @property
    def over_limit(self) -> bool:
        variance = self.variance_percent
        return variance is not None and abs(variance) > VARIANCE_LIMIT_PERCENT


@dataclass
class Evaluation:
    """A mid-term or final evaluation: label (e.g. "Final evaluation"), total score,
    grade, and per dimension ``(name, score, maximum)``."""

    label: str
    score: Any
    grade: str
    dimensions: Sequence[tuple[str, Any, Any]] = ()
    summary: str = ""  # sanitised HTML or plain text
    date: Any = None


@dataclass
class ProjectReportData:
    project: Any
    goal: str = ""
    objectives: Sequence[str] = ()
    # dicts: kind, name, target, actual (optional), method
    indicators: Sequence[Mapping[str, Any]] = ()
    # dicts: name, due (date), done (date|None), status
    milestones: Sequence[Mapping[str, Any]] = ()
    budget: Sequence[BudgetLine] = ()
    raised: int = 0
    matched: int = 0
    disbursed: int = 0
    spent: int = 0
    evaluations: Sequence[Evaluation] = ()
    # dicts: rating (1–5), comment, date
    feedback: Sequence[Mapping[str, Any]] = ()
    has_application: bool = False
    has_delivery: bool = False
    extra: dict = field(default_factory=dict)


def money_rows(data: ProjectReportData) -> list[tuple[str, int]]:
    return [
        (_("Raised"), data.raised),
        (_("Matched"), data.matched),
        (_("Disbursed"), data.disbursed),
        (_("Spent"), data.spent),
    ]


def project_report_context(data: ProjectReportData) -> dict:
    """Template context of the project final report (template :data:`PROJECT_TEMPLATE`)."""
    from portal.core import charts
    from portal.core.money import format_fen

    project = data.project
    currency = project.currency
    figures = money_rows(data)
    money_chart = None
    if any(value for _label, value in figures):
        money_chart = charts.bar_chart(
            title=_("Project funds (yuan)"),
            labels=[label for label, _v in figures],
            series=[value / 100 for _label, value in figures],
            value_formatter=lambda v: f"{v:,.0f}",
            height=260,
        )
    budget = list(data.budget)
    planned_total = sum(line.planned or 0 for line in budget)
    actual_total = sum(line.actual for line in budget)
    evaluations = []
    for evaluation in data.evaluations:
        chart = None
        dims = [(n, s, m) for n, s, m in evaluation.dimensions if m]
        if len(dims) >= 3:
            chart = charts.radar_chart(
                title=_("%(label)s: score by dimension, per cent of its maximum")
                % {"label": evaluation.label},
                dimensions=[n for n, _s, _m in dims],
                series=[round(float(s or 0) * 100 / float(m), 1) for _n, s, m in dims],
            )
        evaluations.append({"evaluation": evaluation, "chart": chart})
    trend = None
    scored = [e for e in data.evaluations if e.score is not None]
    if len(scored) >= 2:
        trend = charts.line_chart(
            title=_("Evaluation scores"),
            x_labels=[e.label for e in scored],
            series=[float(e.score) for e in scored],
            max_value=100,
        )
    ratings = [f["rating"] for f in data.feedback if f.get("rating")]
    return {
        "title": project.title,
        "running_title": _("Final report: %(title)s") % {"title": project.title},
        "subtitle": project.call.title if project.call_id else "",
        "cover": True,
        "reference": f"P-{project.pk}",
        "cover_facts": [
            (_("Organization"), project.organization.name),
            (_("Status"), project.get_status_display()),
            (_("Tier"), project.get_tier_display() or "—"),
            (_("Fundraising goal"), format_fen(project.goal_amount, currency)),
        ],
        "project": project,
        "data": data,
        "money": [(label, format_fen(value, currency)) for label, value in figures],
        "money_chart": money_chart,
        "budget": [
            {
                "line": line,
                "planned": format_fen(line.planned, currency) if line.planned is not None else "—",
                "actual": format_fen(line.actual, currency),
                "variance": line.variance_percent,
            }
            for line in budget
        ],
        "planned_total": format_fen(planned_total, currency),
        "actual_total": format_fen(actual_total, currency),
        "has_spending": bool(actual_total or data.spent),
        "over_limit_label": _("over %(limit)s%%") % {"limit": VARIANCE_LIMIT_PERCENT},
        "has_actuals": any(i.get("actual") not in (None, "") for i in data.indicators),
        "evaluations": evaluations,
        "evaluation_trend": trend,
        "feedback_count": len(data.feedback),
        "feedback_mean": f"{sum(ratings) / len(ratings):.1f}" if ratings else "",
    }


def merge_budget(
    planned: Iterable[tuple[str, int, str, str]], actual: Iterable[tuple[str, int]]
) -> list[BudgetLine]:
    """Budget lines from planned ``(name, amount, category, source)`` and actual
    ``(name, amount)`` rows matched by name; spending on an unplanned line is listed
    with no plan."""
    lines: dict[str, BudgetLine] = {}
    for name, amount, category, source in planned:
        line = lines.setdefault(
            name, BudgetLine(name=name, planned=0, category=category, source=source)
        )
        line.planned = (line.planned or 0) + amount
    for name, amount in actual:
        line = lines.setdefault(name, BudgetLine(name=name, planned=None))
        line.actual += amount
    return list(lines.values())
