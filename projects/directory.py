"""The public project directory: selectors, money read-outs and the FilterSet.

The directory and the open-data API (``portal.api``) share this module, so both answer
with the same filters and the same figures.

Money. ``projects`` never imports ``funding``'s Python modules (the app graph is
``organizations ← projects ← funding``). Money is read through ORM relations by string
lookup instead. Figures, sorts and money filters read ``Project.balance``
(``funding.ProjectBalance``: raised, matched, disbursed, spent, maintained by funding in
the same transaction as each ledger posting and checked against the entries by
``manage.py reconcile``). The public ledger and the per-sponsor match read the entries
themselves: ``Project.funding_accounts`` → ``entries`` → ``transaction.kind``. The kind
strings below mirror ``funding.enums.TransactionKind``; ``tests/public/test_directory.py``
asserts they stay equal to funding's own lists (``funding.services.reconcile.RAISED_KINDS``
/ ``MATCH_KINDS``) and that the balance figures equal the ledger sums, so the directory,
the API and ``manage.py reconcile`` always agree.

Keyword search. ``q`` goes through the site search engine
(:func:`portal.core.search.matching`): Wagtail's search index of ``Project.search_fields``,
which holds title, summary, organization name and short name, service area, service
items and categories (Chinese and English) as n-grams, so 助老 finds a project filed
under 为老服务/助老 whatever its title says. Same engine as ``/search/``; see docs/search.md.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime

import django_filters
from django import forms
from django.core.paginator import Paginator
from django.db.models import (
    BigIntegerField,
    Case,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from organizations.enums import OrganizationType, RegionLevel
from organizations.models import Region
from organizations.region_choices import GroupedRegionChoiceField
from portal.core.ids import LocalizedPageChoiceFilter
from portal.core.search import matching, query_terms

from .enums import MONEY_OPEN_STATUSES, ProjectStatus, ProjectTier
from .models import CallPage, Project, ServiceCategory, ServiceItem

# Mirrors of funding.enums values (see the module docstring and its drift test).
PROJECT_ACCOUNT_KIND = "project"
RAISED_KINDS = ("donation", "donation_reversal")
MATCH_KINDS = ("match_confirm", "match_reversal", "settlement")
DISBURSEMENT_KINDS = ("disbursement",)
LIVE_MATCHING_MODE = "live"

PUBLIC_STATUSES = (
    ProjectStatus.APPROVED,
    ProjectStatus.IN_PROGRESS,
    ProjectStatus.COMPLETED,
    ProjectStatus.TERMINATED,
)
# A project takes donations once its agreement is signed and until it ends (the same rule
# the funding services enforce: ``Project.accepts_money``).
ACCEPTING_STATUSES = tuple(MONEY_OPEN_STATUSES)
PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def _entries():
    from django.apps import apps

    return apps.get_model("funding", "Entry").objects


@dataclass(frozen=True)
class ProjectMoney:
    """A project's public money figures, in minor units of ``currency``."""

    raised: int = 0
    matched: int = 0
    disbursed: int = 0
    spent: int = 0
    currency: str = "CNY"

    @property
    def funded(self) -> int:
        return self.raised + self.matched

    def percent_of(self, goal: int) -> int:
        """Raised + matched as a whole percentage of ``goal`` (0 when there is no goal)."""
        if goal <= 0:
            return 0
        return self.funded * 100 // goal


def public_projects() -> QuerySet[Project]:
    """Public projects with everything a card shows loaded (constant queries per page)."""
    return (
        Project.objects.public()
        .select_related("organization", "region__parent", "call")
        .prefetch_related("service_items__category")
    )


def card_projects(*, with_call: bool = False) -> QuerySet[Project]:
    """Public projects loaded for a list page: organization, region and service items
    (with their categories) in one extra query. The call (a Wagtail page: costly to
    build, ~0.4 ms each) only when asked, and then once per distinct call."""
    items = Prefetch("service_items", queryset=ServiceItem.objects.select_related("category"))
    queryset = (
        Project.objects.public()
        .select_related("organization", "region__parent")
        .prefetch_related(items)
    )
    return queryset.prefetch_related("call") if with_call else queryset


# The per-project figures ``funding`` keeps next to the ledger (``funding.ProjectBalance``,
# reverse accessor ``Project.balance``), read by string lookup. A project without a row
# has no money yet: zeros.
BALANCE_FIELDS = ("raised", "matched", "disbursed", "spent")


def _balance(name: str):
    return Coalesce(F(f"balance__{name}"), Value(0), output_field=BigIntegerField())


def with_money(queryset: QuerySet[Project]) -> QuerySet[Project]:
    """Annotate ``raised_total``, ``matched_total`` and ``funded_total`` from the
    project's balance row (one LEFT JOIN on its primary key), to sort or filter by money.

    The balance is maintained by funding in the same transaction as every ledger
    posting, and ``manage.py reconcile`` checks it against the entries, so these are
    the ledger's sums without summing 50,000 entries per request."""
    return queryset.annotate(
        raised_total=_balance("raised"),
        matched_total=_balance("matched"),
    ).annotate(funded_total=F("raised_total") + F("matched_total"))


def money_by_project(projects) -> dict[int, ProjectMoney]:
    """Raised, matched, disbursed and spent for the given projects, in one query.

    Raised / matched / disbursed are the sums of the ledger entries on each project's
    fund account (reversals included, so refunds and lost disputes are already netted),
    spent the sum of recorded expenditures — as kept in funding's project balance.
    Projects with no money get zeros.
    """
    by_pk = {p.pk: p for p in projects}
    if not by_pk:
        return {}
    rows = (
        Project.objects.filter(pk__in=by_pk)
        .order_by()
        .values_list("pk", *(f"balance__{name}" for name in BALANCE_FIELDS))
    )
    result = {}
    for pk, raised, matched, disbursed, spent in rows:
        result[pk] = ProjectMoney(
            raised=int(raised or 0),
            matched=int(matched or 0),
            disbursed=int(disbursed or 0),
            spent=int(spent or 0),
            currency=by_pk[pk].currency,
        )
    return result


def attach_money(projects) -> list[Project]:
    """Set ``project.money`` (a :class:`ProjectMoney`) on each project; one query
    whatever the number of projects."""
    projects = list(projects)
    money = money_by_project(projects)
    for project in projects:
        project.money = money.get(project.pk, ProjectMoney(currency=project.currency))
        project.funded_percent = project.money.percent_of(project.goal_amount)
    return projects


def fetch_page(
    queryset: QuerySet[Project],
    start: int,
    stop: int,
    *,
    now: datetime | None = None,
    with_call: bool = False,
) -> list[Project]:
    """The projects ``start:stop`` of ``queryset`` in its order, ready for a card.

    Two steps: the ids of the page first (the database sorts narrow rows: the id and the
    sort key), then those rows with everything a card shows (organization, region, call,
    service items, the live-match flag). Sorting the full wide rows cost SQLite ~100 ms
    on 10,000 projects for every money or random sort."""
    if stop <= start:
        return []
    ids = list(queryset.values_list("pk", flat=True)[start:stop])
    if not ids:
        return []
    cards = with_match_flag(card_projects(with_call=with_call), now)
    rows = {p.pk: p for p in cards.filter(pk__in=ids)}
    return [rows[pk] for pk in ids if pk in rows]


class DirectoryPaginator(Paginator):
    """Pages read with :func:`fetch_page`; the total counted on ``count_queryset`` (the
    same filters without the sort's joins) when given."""

    def __init__(self, object_list, per_page, *, count_queryset=None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.count_queryset = count_queryset

    @cached_property
    def count(self):
        source = self.object_list if self.count_queryset is None else self.count_queryset
        return source.count()

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return self._get_page(fetch_page(self.object_list, bottom, top), number, self)


def match_available_q(now: datetime | None = None) -> Q:
    """Projects whose donations are matched live right now: matched tier, accepting
    donations, and their call's live-matching campaign is running."""
    now = now or timezone.now()
    return Q(
        tier=ProjectTier.FUNDED_MATCHED,
        status__in=ACCEPTING_STATUSES,
        call__matching_rule__mode=LIVE_MATCHING_MODE,
        call__matching_rule__campaign_starts_at__lte=now,
        call__matching_rule__campaign_ends_at__gt=now,
    )


def with_match_flag(queryset: QuerySet[Project], now: datetime | None = None):
    return queryset.annotate(
        has_live_match=Case(When(match_available_q(now), then=Value(True)), default=Value(False))
    )


def day_seed(day: date | None = None) -> int:
    """A number that changes once a day: the random sort is fair across days and
    stable within one (pagination does not reshuffle)."""
    day = day or timezone.localdate()
    digest = hashlib.sha256(day.isoformat().encode()).digest()
    return int.from_bytes(digest[:3], "big")


def random_order(queryset: QuerySet[Project], seed: int) -> QuerySet[Project]:
    """Deterministic pseudo-random order: a multiplicative hash of the id, salted by the
    seed, computed by the database (same result on SQLite and PostgreSQL)."""
    key = ExpressionWrapper(
        (F("pk") * Value(2_654_435_761) + Value(seed)) % Value(1_000_003),
        output_field=IntegerField(),
    )
    return queryset.annotate(shuffle_key=key).order_by("shuffle_key", "pk")


# ---------------------------------------------------------------------------- filters


PROGRESS_CHOICES = [
    ("lt50", _("Under 50%")),
    ("50to99", _("50–99%")),
    ("full", _("Fully funded")),
]
SORT_CHOICES = [
    ("newest", _("Newest")),
    ("raised", _("Most raised")),
    ("closest", _("Closest to goal")),
    ("ending", _("Ending soon")),
    ("random", _("Random")),
]
MONEY_SORTS = {"raised", "closest"}


def _districts(request):
    return Region.objects.filter(level=RegionLevel.DISTRICT).order_by("code")


def _subdistricts(request):
    return Region.objects.filter(level=RegionLevel.SUBDISTRICT).order_by("code")


def _calls(request):
    return (
        CallPage.objects.live()
        .filter(Exists(Project.objects.filter(call_id=OuterRef("pk"))))
        .order_by("-opens_at")
    )


def _years() -> list[tuple[str, str]]:
    """Years with public projects; cached until public data changes (the scan of every
    project's date costs ~0.1 s on 10,000 projects)."""
    from django.core.cache import cache

    from portal.core.cache import generation

    def read():
        years = Project.objects.public().dates("created_at", "year", "DESC")
        return [(str(d.year), str(d.year)) for d in years]

    return cache.get_or_set(f"project-directory-years:{generation()}", read, 3600)


class FastSelect(forms.Select):
    """A ``<select>`` written in Python, same markup as Django's template widget.

    Django renders every ``<option>`` through a template include; for the directory's
    ~130 options that cost about 50 ms a page (half of the 100 ms budget)."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [format_html('<select name="{}"{}>', widget["name"], flatatt(widget["attrs"]))]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(format_html('<optgroup label="{}">', group_name))
            for option in options:
                parts.append(
                    format_html(
                        '<option value="{}"{}>{}</option>',
                        "" if option["value"] is None else str(option["value"]),
                        flatatt(option["attrs"]),
                        option["label"],
                    )
                )
            if group_name:
                parts.append("</optgroup>")
        parts.append("</select>")
        return mark_safe("".join(parts))


class GroupedRegionFilter(django_filters.ModelChoiceFilter):
    """Sub-districts in an ``<optgroup>`` per district."""

    field_class = GroupedRegionChoiceField


class ProjectDirectoryFilter(django_filters.FilterSet):
    """Every filter and sort of the public directory and of ``/api/v1/projects``.

    Unknown values make the field invalid; invalid fields are ignored by ``qs`` (the
    other filters still apply) and the form shows the error next to the field.
    """

    q = django_filters.CharFilter(label=_("Keyword"), method="filter_search", max_length=100)
    category = django_filters.ModelChoiceFilter(
        label=_("Service category"),
        queryset=ServiceCategory.objects.all(),
        method="filter_category",
        to_field_name="code",
        empty_label=_("All"),
        widget=FastSelect,
    )
    item = django_filters.ModelChoiceFilter(
        label=_("Service item"),
        queryset=ServiceItem.objects.all(),
        method="filter_item",
        to_field_name="code",
        empty_label=_("All"),
        widget=FastSelect,
    )
    district = django_filters.ModelChoiceFilter(
        label=_("District"),
        queryset=_districts,
        method="filter_district",
        to_field_name="code",
        empty_label=_("All"),
        widget=FastSelect,
    )
    subdistrict = GroupedRegionFilter(
        label=_("Sub-district"),
        queryset=_subdistricts,
        method="filter_subdistrict",
        to_field_name="code",
        empty_label=_("All"),
        widget=FastSelect,
    )
    call = LocalizedPageChoiceFilter(
        label=_("Call"), queryset=_calls, field_name="call", empty_label=_("All"), widget=FastSelect
    )
    year = django_filters.ChoiceFilter(
        label=_("Year"),
        field_name="created_at__year",
        choices=_years,
        empty_label=_("Any year"),
        widget=FastSelect,
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[(s.value, s.label) for s in PUBLIC_STATUSES],
        empty_label=_("All"),
        widget=FastSelect,
    )
    tier = django_filters.ChoiceFilter(
        label=_("Tier"),
        choices=[
            (ProjectTier.FUNDED_MATCHED.value, ProjectTier.FUNDED_MATCHED.label),
            (ProjectTier.RESERVE.value, ProjectTier.RESERVE.label),
        ],
        empty_label=_("All"),
        widget=FastSelect,
    )
    org_type = django_filters.ChoiceFilter(
        label=_("Organization type"),
        choices=OrganizationType.choices,
        field_name="organization__org_type",
        empty_label=_("All"),
        widget=FastSelect,
    )
    progress = django_filters.ChoiceFilter(
        label=_("Funding progress"),
        choices=PROGRESS_CHOICES,
        method="filter_progress",
        empty_label=_("All"),
        widget=FastSelect,
    )
    accepting = django_filters.BooleanFilter(
        label=_("Accepting donations now"),
        method="filter_accepting",
        widget=forms.CheckboxInput,
    )
    sort = django_filters.ChoiceFilter(
        label=_("Sort by"),
        choices=SORT_CHOICES,
        method="filter_noop",
        empty_label=None,
        widget=FastSelect,
    )

    class Meta:
        model = Project
        fields: list[str] = []

    def __init__(self, *args, seed: int | None = None, now: datetime | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.seed = day_seed() if seed is None else seed
        self.now = now or timezone.now()
        self._money = False

    # Filters over many-valued relations use a subquery, never a join: a join would
    # repeat the project once per matching row and multiply the ledger sums.
    def filter_search(self, queryset, name, value):
        if not query_terms(value):
            return queryset
        return matching(queryset, value)

    def filter_category(self, queryset, name, value):
        through = Project.service_items.through.objects.filter(
            project_id=OuterRef("pk"), serviceitem__category=value
        )
        return queryset.filter(Exists(through))

    def filter_item(self, queryset, name, value):
        through = Project.service_items.through.objects.filter(
            project_id=OuterRef("pk"), serviceitem=value
        )
        return queryset.filter(Exists(through))

    def filter_district(self, queryset, name, value):
        return queryset.filter(
            Q(region=value) | Q(region__parent=value) | Q(region__parent__parent=value)
        )

    def filter_subdistrict(self, queryset, name, value):
        return queryset.filter(Q(region=value) | Q(region__parent=value))

    def filter_progress(self, queryset, name, value):
        queryset = self._with_money(queryset).filter(goal_amount__gt=0)
        # Whole-number comparisons: funded * 2 < goal means under 50%.
        queryset = queryset.alias(funded_twice=F("funded_total") * 2)
        if value == "lt50":
            return queryset.filter(funded_twice__lt=F("goal_amount"))
        if value == "50to99":
            return queryset.filter(
                funded_twice__gte=F("goal_amount"), funded_total__lt=F("goal_amount")
            )
        return queryset.filter(funded_total__gte=F("goal_amount"))

    def filter_accepting(self, queryset, name, value):
        if value:
            return queryset.filter(status__in=ACCEPTING_STATUSES)
        return queryset

    def filter_noop(self, queryset, name, value):
        return queryset

    def _with_money(self, queryset):
        if self._money:
            return queryset
        self._money = True
        return with_money(queryset)

    @property
    def count_qs(self):
        """The filtered projects without the sort (and its joins): for ``COUNT(*)``."""
        self._money = False
        try:
            return super().filter_queryset(Project.objects.public())
        finally:
            self._money = False

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        sort = self.form.cleaned_data.get("sort") or "newest"
        if sort in MONEY_SORTS:
            queryset = self._with_money(queryset)
        if sort == "raised":
            return queryset.order_by("-raised_total", "-created_at", "-pk")
        if sort == "closest":
            # Not yet fully funded first, smallest gap first; no-goal projects last.
            return queryset.annotate(
                gap=F("goal_amount") - F("funded_total"),
                gap_rank=Case(
                    When(goal_amount__lte=0, then=Value(2)),
                    When(gap__lte=0, then=Value(1)),
                    default=Value(0),
                ),
            ).order_by("gap_rank", "gap", "pk")
        if sort == "ending":
            ends = F("call__matching_rule__campaign_ends_at")
            return queryset.annotate(
                ending_rank=Case(
                    When(Q(call__matching_rule__campaign_ends_at__gt=self.now), then=Value(0)),
                    default=Value(1),
                ),
            ).order_by("ending_rank", ends.asc(nulls_last=True), "pk")
        if sort == "random":
            return random_order(queryset, self.seed)
        return queryset.order_by("-created_at", "-pk")

    # Shown outside the "More filters" disclosure.
    PRIMARY_FIELDS = ("q", "sort")

    @property
    def has_advanced_filters(self) -> bool:
        """True when a filter inside "More filters" is set (the disclosure opens)."""
        return any(self.data.get(name) for name in self.filters if name not in self.PRIMARY_FIELDS)

    @property
    def active_sort(self) -> str:
        if not self.is_bound:
            return "newest"
        self.form.is_valid()
        return self.form.cleaned_data.get("sort") or "newest"


def filter_projects(
    data,
    *,
    queryset: QuerySet[Project] | None = None,
    seed: int | None = None,
    now: datetime | None = None,
) -> ProjectDirectoryFilter:
    """A bound directory filter over the public projects (``data`` is a QueryDict)."""
    queryset = public_projects() if queryset is None else queryset
    return ProjectDirectoryFilter(data, queryset=queryset, seed=seed, now=now)


# ------------------------------------------------------------------------- project page

LEDGER_ROWS = 100


def public_ledger(project: Project, *, limit: int = LEDGER_ROWS) -> list:
    """The newest entries on the project's fund account, with what the public may see.

    Each row: ``created_at``, ``kind`` (transaction kind label), ``amount`` (signed fen,
    ``None`` when the donor chose to hide the amount), ``who`` (the donor's public name
    by their anonymity choice, or the sponsor of a match; never an email or a phone).
    One query.
    """
    entries = (
        _entries()
        .filter(account__project=project, account__kind=PROJECT_ACCOUNT_KIND)
        .select_related("transaction__donation", "transaction__pool__sponsor")
        .order_by("-transaction__created_at", "-pk")[:limit]
    )
    rows = []
    for entry in entries:
        txn = entry.transaction
        donation = txn.donation
        who, amount = "", entry.amount
        if donation is not None and txn.kind in RAISED_KINDS:
            who = donation.public_name
            if donation.hides_amount:
                amount = None
        elif txn.pool_id is not None:
            sponsor = txn.pool.sponsor
            who = sponsor.name if sponsor.is_public else str(_("Anonymous sponsor"))
            # A match follows its donation's ratio: showing it would reveal a hidden gift.
            if donation is not None and donation.hides_amount:
                amount = None
        rows.append(
            {
                "created_at": txn.created_at,
                "kind": txn.get_kind_display(),
                "amount": amount,
                "who": who,
                "currency": entry.currency,
            }
        )
    return rows


def matched_by_sponsor(project: Project) -> list[dict]:
    """Net match per sponsor for the project, largest first (sponsors who asked not to
    be named appear as "Anonymous sponsor"). One query."""
    rows = (
        _entries()
        .filter(
            account__project=project,
            account__kind=PROJECT_ACCOUNT_KIND,
            transaction__kind__in=MATCH_KINDS,
            transaction__pool__isnull=False,
        )
        .values("transaction__pool__sponsor__name", "transaction__pool__sponsor__is_public")
        .annotate(total=Sum("amount"))
        .filter(total__gt=0)
        .order_by("-total", "transaction__pool__sponsor__name")
    )
    return [
        {
            "name": (
                r["transaction__pool__sponsor__name"]
                if r["transaction__pool__sponsor__is_public"]
                else str(_("Anonymous sponsor"))
            ),
            "amount": int(r["total"]),
        }
        for r in rows
    ]


def project_page_context(*, project: Project) -> dict:
    """Everything the public project page shows, in a fixed number of queries."""
    from .enums import NeedStatus

    attach_money([project])
    needs = list(
        project.addressed_needs.filter(status=NeedStatus.PUBLISHED).select_related("region")
    )
    region = project.region
    district = None
    if region is not None:
        district = region if region.level == RegionLevel.DISTRICT else region.parent
    return {
        "project": project,
        "money": project.money,
        "service_items": list(project.service_items.all()),
        "district": district,
        "needs": needs,
        "sponsors": matched_by_sponsor(project),
        "ledger": public_ledger(project),
        "ledger_limit": LEDGER_ROWS,
        "percent": min(project.money.percent_of(project.goal_amount), 100),
        "accepting": project.status in ACCEPTING_STATUSES,
    }
