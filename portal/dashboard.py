"""Staff dashboard panels (Wagtail ``construct_homepage_panels``).

Two panels, each shown only to the roles allowed to see its figures:

* **Programme** (administrators, programme officers): open calls, applications awaiting
  screening, reviews outstanding, and a chart of this year's applications by status.
  A reviewer sees only the open calls and their own outstanding reviews.
* **Finance** (administrators, finance officers): money raised and matched this year
  (from the ledger, reversals netted), donations awaiting offline approval, and a chart
  of raised and matched by month.

Every figure is read in a fixed number of queries whatever the size of the data
(aggregates in SQL). ``portal`` sits above every app in the graph, so it may import
``funding`` and ``projects`` (lazily, inside the functions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.dates import MONTHS_AP
from django.utils.translation import gettext as _
from wagtail.admin.ui.components import Component

from organizations.rules import is_reviewer

#: Layout of the figures and charts inside the panels (also used by organizations' panel).
DASHBOARD_CSS = "portal/css/dashboard.css"

# Where each figure's work happens in the admin (skipped when the URL does not exist).
LINKS = {
    "applications": "wagtailsnippets_projects_application:list",
    "reviews": "review:queue",
    "donations": "funding_donations:index",
}


def can_see_programme(user) -> bool:
    return user.has_perm("organizations.manage_programme")


def can_see_finance(user) -> bool:
    return user.has_perm("funding.view_money_figures")


def can_see_reviews(user) -> bool:
    return is_reviewer(user)


def _url(name: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


def _year_start(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return local.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)


@dataclass
class ProgrammeFigures:
    open_calls: int = 0
    awaiting_screening: int = 0
    reviews_outstanding: int = 0
    applications_by_status: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class FinanceFigures:
    currency: str = "CNY"
    raised: int = 0
    matched: int = 0
    awaiting_approval: int = 0
    by_month: list[tuple[int, int, int]] = field(default_factory=list)  # month, raised, matched


def open_calls_count(now: datetime) -> int:
    """Open calls in the site's default language (one query)."""
    from projects.enums import CallState
    from projects.models import CallPage

    return (
        CallPage.objects.live()
        .filter(locale__language_code=settings.LANGUAGE_CODE)
        .filter(CallPage.state_q(CallState.OPEN, now))
        .count()
    )


def outstanding_reviews(reviewer=None) -> int:
    """Active assignments without a submitted (or abstained) review; one query."""
    from projects.review.enums import ReviewStatus
    from projects.review.models import Assignment

    assignments = Assignment.objects.active().exclude(
        review__status__in=[ReviewStatus.SUBMITTED, ReviewStatus.ABSTAINED]
    )
    if reviewer is not None:
        assignments = assignments.filter(reviewer=reviewer)
    return assignments.count()


def programme_figures(*, now: datetime | None = None) -> ProgrammeFigures:
    """Three queries."""
    from projects.enums import ApplicationStatus
    from projects.models import Application

    now = now or timezone.now()
    figures = ProgrammeFigures(
        open_calls=open_calls_count(now), reviews_outstanding=outstanding_reviews()
    )
    counts = dict(
        Application.objects.filter(submitted_at__gte=_year_start(now))
        .exclude(status=ApplicationStatus.DRAFT)
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    # Awaiting screening counts every submitted application, whatever its year.
    waiting = (ApplicationStatus.SUBMITTED, ApplicationStatus.RESUBMITTED)
    figures.awaiting_screening = Application.objects.filter(status__in=waiting).count()
    figures.applications_by_status = [
        (str(label), counts.get(value, 0))
        for value, label in ApplicationStatus.choices
        if value != ApplicationStatus.DRAFT
    ]
    return figures


def finance_figures(*, now: datetime | None = None) -> FinanceFigures:
    """Raised and matched this year from the ledger, by month; two queries."""
    from django.db.models.functions import ExtractMonth

    from funding.enums import DonationStatus
    from funding.models import Donation, Entry
    from projects.directory import MATCH_KINDS, PROJECT_ACCOUNT_KIND, RAISED_KINDS

    now = now or timezone.now()
    rows = (
        Entry.objects.filter(
            account__kind=PROJECT_ACCOUNT_KIND,
            transaction__created_at__gte=_year_start(now),
            transaction__kind__in=(*RAISED_KINDS, *MATCH_KINDS),
        )
        .annotate(month=ExtractMonth("transaction__created_at"))
        .values("month")
        .annotate(
            raised=Sum("amount", filter=Q(transaction__kind__in=RAISED_KINDS)),
            matched=Sum("amount", filter=Q(transaction__kind__in=MATCH_KINDS)),
        )
        .order_by("month")
    )
    by_month = {r["month"]: (int(r["raised"] or 0), int(r["matched"] or 0)) for r in rows}
    last_month = timezone.localtime(now).month
    figures = FinanceFigures(currency=settings.DEFAULT_CURRENCY)
    figures.by_month = [(m, *by_month.get(m, (0, 0))) for m in range(1, last_month + 1)]
    figures.raised = sum(r for _m, r, _x in figures.by_month)
    figures.matched = sum(x for _m, _r, x in figures.by_month)
    figures.awaiting_approval = Donation.objects.filter(
        status=DonationStatus.AWAITING_APPROVAL
    ).count()
    return figures


def _yuan(value) -> str:
    from portal.core.money import format_fen

    return format_fen(int(value) * 100, decimals=False)


class _Panel(Component):
    """A dashboard panel: Wagtail's ``Component`` (``template_name``,
    ``get_context_data``, ``render_html``, ``media``) that knows its request and its place
    (``order``) among the home page's panels. The templates use Wagtail's ``{% panel %}``
    with ``w-panel--dashboard`` so headings line up with Wagtail's own panels."""

    order = 100

    class Media:
        css = {"all": [DASHBOARD_CSS]}

    def __init__(self, request):
        self.request = request

    def get_context(self) -> dict:
        """The context the template is rendered with (``get_context_data`` without a
        parent context)."""
        return self.get_context_data()


class ProgrammePanel(_Panel):
    """Open calls, screening and review workload (programme staff; reviewers see their
    own outstanding reviews only)."""

    template_name = "portal/admin/programme_panel.html"
    order = 90

    def get_context_data(self, parent_context=None) -> dict:
        from portal.core.charts import PHONE_CANVAS, bar_chart

        user = self.request.user
        if can_see_programme(user):
            figures = programme_figures()
            title = _("Applications this year by status")
            labels = [label for label, _n in figures.applications_by_status]
            chart = bar_chart(
                title=title,
                labels=labels,
                series={_("Applications"): [n for _l, n in figures.applications_by_status]},
                horizontal=True,
                width=PHONE_CANVAS,
                height=max(220, 70 + 40 * len(labels)),
            )
            return {
                "figures": figures,
                "full": True,
                "chart": chart,
                "links": {k: _url(v) for k, v in LINKS.items()},
            }
        figures = ProgrammeFigures(
            open_calls=open_calls_count(timezone.now()),
            reviews_outstanding=outstanding_reviews(user),
        )
        return {
            "figures": figures,
            "full": False,
            "chart": "",
            "links": {"reviews": _url(LINKS["reviews"])},
        }


class FinancePanel(_Panel):
    """Money raised and matched this year and donations awaiting approval (finance)."""

    template_name = "portal/admin/finance_panel.html"
    order = 95

    def get_context_data(self, parent_context=None) -> dict:
        from portal.core.charts import PHONE_CANVAS, bar_chart

        figures = finance_figures()
        title = _("Money raised and matched this year by month (yuan)")
        labels = [str(MONTHS_AP[m]) for m, _r, _x in figures.by_month]  # 一月 / Jan.
        chart = bar_chart(
            title=title,
            labels=labels,
            series={
                _("Raised"): [r // 100 for _m, r, _x in figures.by_month],
                _("Matched"): [x // 100 for _m, _r, x in figures.by_month],
            },
            value_formatter=_yuan,
            width=PHONE_CANVAS,
            height=300,
        )
        return {"figures": figures, "chart": chart, "donations_url": _url(LINKS["donations"])}


def add_dashboard_panels(request, panels) -> None:
    """``construct_homepage_panels``: each panel only for the roles that may see it."""
    user = request.user
    if can_see_programme(user) or can_see_reviews(user):
        panels.append(ProgrammePanel(request))
    if can_see_finance(user):
        panels.append(FinancePanel(request))
