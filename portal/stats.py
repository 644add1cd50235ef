"""Public statistics: totals and money by category, district and year.

Shared by the statistics page (``/stats/``) and ``/api/v1/stats``. Money comes from
funding's per-project balances (raised / matched / disbursed from the ledger, spent from
the expenditure records; reconciled against the entries), in a fixed number of queries
whatever the size of the data (one row per project, then a small fold in Python).

A project that serves several service categories counts in each of them, so the
category figures may add up to more than the total; the total is never double-counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Sum

from portal.core.cache import cache_anonymous_page
from portal.core.csp import allow_inline_styles

KINDS = ("raised", "matched", "disbursed", "spent")


@dataclass
class Bucket:
    key: str
    label: str
    label_en: str = ""
    projects: int = 0
    raised: int = 0
    matched: int = 0

    def display(self, language: str) -> str:
        if language.startswith("en") and self.label_en:
            return self.label_en
        return self.label

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "name": self.label,
            "name_en": self.label_en,
            "projects": self.projects,
            "raised": self.raised,
            "matched": self.matched,
        }


@dataclass
class SiteStats:
    currency: str
    organizations: int = 0
    projects: int = 0
    calls: int = 0
    donations: int = 0
    totals: dict = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    by_category: list[Bucket] = field(default_factory=list)
    by_district: list[Bucket] = field(default_factory=list)
    by_year: list[Bucket] = field(default_factory=list)
    top_sponsors: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "currency": self.currency,
            "organizations": self.organizations,
            "projects": self.projects,
            "calls": self.calls,
            "donations": self.donations,
            "totals": dict(self.totals),
            "by_category": [b.as_dict() for b in self.by_category],
            "by_district": [b.as_dict() for b in self.by_district],
            "by_year": [b.as_dict() for b in self.by_year],
            "top_sponsors": list(self.top_sponsors),
        }


def project_money_totals() -> dict[int, dict[str, int]]:
    """``{project_id: {"raised", "matched", "disbursed", "spent"}}``, one query over
    funding's project balances (kept with every ledger posting and checked against the
    entries by ``manage.py reconcile``; a project without a row has no money)."""
    from funding.models import ProjectBalance

    rows = ProjectBalance.objects.values_list("project_id", *KINDS).order_by()
    return {pid: dict(zip(KINDS, (int(v) for v in values), strict=True)) for pid, *values in rows}


def site_stats(*, top: int = 10) -> SiteStats:
    """Every figure of the statistics page; about a dozen queries in all."""
    from funding.models import Donation, Entry
    from organizations.enums import RegionLevel
    from organizations.models import Organization, Region
    from projects.directory import MATCH_KINDS, PROJECT_ACCOUNT_KIND
    from projects.models import CallPage, Project, ServiceCategory

    stats = SiteStats(currency=settings.DEFAULT_CURRENCY)
    stats.organizations = Organization.objects.verified().count()
    stats.calls = (
        CallPage.objects.live().filter(locale__language_code=settings.LANGUAGE_CODE).count()
    )
    stats.donations = Donation.objects.counted().count()

    projects = list(
        Project.objects.public().values_list(
            "pk",
            "created_at",
            "region_id",
            "region__level",
            "region__parent_id",
            "region__parent__parent_id",
        )
    )
    stats.projects = len(projects)
    public_ids = {row[0] for row in projects}
    money = project_money_totals()
    for pid in public_ids:
        figures = money.get(pid)
        if figures:
            for kind in KINDS:
                stats.totals[kind] += figures[kind]

    def add(bucket: Bucket, pid: int) -> None:
        bucket.projects += 1
        figures = money.get(pid)
        if figures:
            bucket.raised += figures["raised"]
            bucket.matched += figures["matched"]

    # Categories (a project counts once per category it serves).
    categories = {
        c.pk: Bucket(c.code, c.name, c.name_en)
        for c in ServiceCategory.objects.order_by("sort_order", "code")
    }
    through = Project.service_items.through
    pairs = set(
        through.objects.filter(project_id__in=public_ids).values_list(
            "project_id", "serviceitem__category_id"
        )
    )
    for pid, category_id in pairs:
        add(categories[category_id], pid)
    stats.by_category = [b for b in categories.values() if b.projects]

    # Districts: a project's region is a district, sub-district or community.
    districts = {
        r.pk: Bucket(r.code, r.name, r.name_en)
        for r in Region.objects.filter(level=RegionLevel.DISTRICT).order_by("code")
    }
    years: dict[int, Bucket] = {}
    from django.utils import timezone

    for pid, created_at, region_id, level, parent_id, grandparent_id in projects:
        district_id = {
            RegionLevel.DISTRICT: region_id,
            RegionLevel.SUBDISTRICT: parent_id,
            RegionLevel.COMMUNITY: grandparent_id,
        }.get(level)
        if district_id in districts:
            add(districts[district_id], pid)
        year = timezone.localtime(created_at).year
        if year not in years:
            years[year] = Bucket(str(year), str(year), str(year))
        add(years[year], pid)
    stats.by_district = [b for b in districts.values() if b.projects]
    stats.by_year = [years[y] for y in sorted(years)]

    sponsors = (
        Entry.objects.filter(
            account__kind=PROJECT_ACCOUNT_KIND,
            transaction__kind__in=MATCH_KINDS,
            transaction__pool__isnull=False,
        )
        .values_list("transaction__pool__sponsor__name", "transaction__pool__sponsor__is_public")
        .annotate(total=Sum("amount"))
        .order_by("-total")
    )
    from django.utils.translation import gettext as _

    anonymous = 0
    for name, is_public, total in sponsors:
        if total <= 0:
            continue
        if is_public:
            stats.top_sponsors.append({"name": name, "matched": int(total)})
        else:
            anonymous += int(total)
    if anonymous:
        stats.top_sponsors.append(
            {"name": _("Sponsors who asked not to be named"), "matched": anonymous}
        )
    stats.top_sponsors.sort(key=lambda s: -s["matched"])
    stats.top_sponsors = stats.top_sponsors[:top]
    return stats


# ------------------------------------------------------------------------------ page


def _yuan(value) -> str:
    from portal.core.money import format_fen

    return format_fen(int(value) * 100, decimals=False)


def stats_charts(stats: SiteStats, language: str) -> list[dict]:
    """Accessible SVG bar charts (raised and matched, in yuan) with their data."""
    from django.utils.translation import gettext as _

    from portal.core.charts import PHONE_CANVAS, bar_chart

    charts = []
    for key, title, buckets in (
        ("category", _("Money raised and matched by service category"), stats.by_category),
        ("district", _("Money raised and matched by district"), stats.by_district),
        ("year", _("Money raised and matched by year"), stats.by_year),
    ):
        labels = [b.display(language) for b in buckets]
        series = {
            _("Raised"): [b.raised // 100 for b in buckets],
            _("Matched"): [b.matched // 100 for b in buckets],
        }
        charts.append(
            {
                "key": key,
                "title": title,
                "svg": bar_chart(
                    title=title,
                    labels=labels,
                    series=series,
                    horizontal=key != "year",
                    value_formatter=_yuan,
                    width=PHONE_CANVAS,
                    height=max(240, 70 + 50 * len(labels)),
                    show_title=False,
                ),
                "rows": [(b.display(language), b.projects, b.raised, b.matched) for b in buckets],
            }
        )
    return charts


@allow_inline_styles  # pygal charts carry their own <style> (outside the page cache)
@cache_anonymous_page
def stats_page(request):
    """The public statistics page (cached for anonymous visitors per language)."""
    from django.shortcuts import render
    from django.utils.translation import get_language

    stats = site_stats()
    return render(
        request,
        "portal/stats.html",
        {
            "stats": stats,
            "charts": stats_charts(stats, get_language()),
        },
    )
