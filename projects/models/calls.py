from datetime import datetime

from django import forms
from django.apps import apps
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    MultiFieldPanel,
    ObjectList,
    TabbedInterface,
)
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from organizations.enums import OrganizationType
from portal.core.bilingual import (
    EN_SUMMARY_MAX,
    EN_TITLE_MAX,
    EN_TOO_LONG,
    BilingualName,
    both_names,
    region_path,
)
from portal.core.blocks import ContentBlocks
from portal.core.search import CJKSearchMixin

from ..blocks import DocumentBlocks, FAQBlocks, TimelineBlocks
from ..enums import (
    MONEY_OPEN_STATUSES,
    MONEY_REFUSALS,
    CallState,
    OrganizationRating,
    ProjectStatus,
    ProjectTier,
)


class ServiceCategory(BilingualName, models.Model):  # noqa: DJ008 - str() from BilingualName
    """First level of the 点单 service catalogue, e.g. 为老服务."""

    code = models.CharField(_("Code"), max_length=10, unique=True)
    name = models.CharField(_("Name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    description = models.TextField(_("Description"), blank=True)
    keywords = models.CharField(
        _("Search keywords"),
        max_length=300,
        blank=True,
        help_text=_(
            "Other words people use for this category, separated by spaces, in Chinese and "
            "English (e.g. 助老 养老 长者 elderly). Searching one of them finds the category's "
            "projects, needs, calls and organizations. Run manage.py update_index after a change."
        ),
    )
    sort_order = models.PositiveIntegerField(_("Sort order"), default=0)

    class Meta:
        verbose_name = _("Service category")
        verbose_name_plural = _("Service category")
        ordering = ["sort_order", "code"]


class ServiceItem(BilingualName, models.Model):
    """Second level of the catalogue: an item communities can order, e.g. 老年助餐."""

    category = models.ForeignKey(
        ServiceCategory, verbose_name=_("Category"), on_delete=models.PROTECT, related_name="items"
    )
    code = models.CharField(_("Code"), max_length=10, unique=True)
    name = models.CharField(_("Name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    description = models.TextField(_("Description"), blank=True)

    class Meta:
        verbose_name = _("Service item")
        verbose_name_plural = _("Service item")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.display_name()}"


class CallIndexPage(Page):
    intro = RichTextField(_("Intro"), blank=True)

    parent_page_types = ["portal.HomePage"]
    subpage_types = ["projects.CallPage"]
    max_count_per_parent = 1
    content_panels = [*Page.content_panels, FieldPanel("intro")]

    class Meta:
        verbose_name = _("Call index page")
        verbose_name_plural = _("Call index page")

    def get_context(self, request, *args, **kwargs):
        from ..filters import CallFilter

        context = super().get_context(request, *args, **kwargs)
        calls = CallPage.objects.live().child_of(self).order_by("-opens_at")
        call_filter = CallFilter(request.GET or None, queryset=calls, request=request)
        context["filter"] = call_filter
        # Calls whose matching results are published link to them (funding.Settlement,
        # read by string lookup: projects never imports funding).
        settlements = apps.get_model("funding", "Settlement").objects.filter(call=OuterRef("pk"))
        context["calls"] = call_filter.qs.prefetch_related("allowed_service_items").annotate(
            has_settlement=Exists(settlements)
        )
        context["now"] = timezone.now()
        return context


class CallPageForm(WagtailAdminPageForm):
    """Eligible organization types are stored as a JSON list; edit them as checkboxes."""

    eligible_org_types = forms.MultipleChoiceField(
        label=_("Eligible organization types"),
        help_text=_("Leave all unticked to accept every type."),
        choices=OrganizationType.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class CallPage(CJKSearchMixin, Page):
    """A public call (征集) for community service projects.

    Its state (see ``state``) is derived from the application period and the decision
    dates staff fill in as the call moves on: review started, results in public notice
    (with an appeal window), completed.
    """

    summary = models.TextField(_("Summary"), blank=True)
    body = StreamField(ContentBlocks(), verbose_name=_("Body"), blank=True)
    opens_at = models.DateTimeField(_("Opens at"), default=timezone.now)
    closes_at = models.DateTimeField(_("Closes at"), default=timezone.now)
    total_budget = models.PositiveBigIntegerField(_("Total budget (fen)"), default=0)
    per_project_cap = models.PositiveBigIntegerField(_("Cap per project (fen)"), default=0)
    min_self_funding_bps = models.PositiveIntegerField(
        _("Minimum self-funding share (basis points)"),
        default=0,
        help_text=_("1% = 100 basis points. Self-funded lines ÷ total budget must reach this."),
    )
    currency = models.CharField(_("Currency"), max_length=3, default="CNY")
    # Eligibility
    eligible_org_types = models.JSONField(
        _("Eligible organization types"), default=list, blank=True
    )
    verified_only = models.BooleanField(_("Verified organizations only"), default=True)
    min_rating = models.CharField(
        _("Minimum evaluation rating"),
        max_length=2,
        choices=OrganizationRating.choices,
        blank=True,
        default="",
    )
    eligible_districts = ParentalManyToManyField(
        "organizations.Region",
        verbose_name=_("Eligible districts"),
        blank=True,
        related_name="+",
        limit_choices_to={"level": "district"},
        help_text=_("Leave empty to accept organizations from every district."),
    )
    allowed_service_items = ParentalManyToManyField(
        ServiceItem,
        verbose_name=_("Service items allowed"),
        blank=True,
        related_name="calls",
        help_text=_("Leave empty to allow every item of the catalogue."),
    )
    target_needs = ParentalManyToManyField(
        "projects.CommunityNeed",
        verbose_name=_("Community needs targeted"),
        blank=True,
        related_name="calls",
    )
    allow_multiple_applications = models.BooleanField(
        _("Allow several applications per organization"), default=False
    )
    timeline = StreamField(TimelineBlocks(), verbose_name=_("Timeline"), blank=True)
    faq = StreamField(FAQBlocks(), verbose_name=_("FAQ"), blank=True)
    attachments = StreamField(DocumentBlocks(), verbose_name=_("Attachments"), blank=True)
    contact_name = models.CharField(_("Contact person"), max_length=100, blank=True)
    contact_phone = models.CharField(_("Contact phone"), max_length=50, blank=True)
    contact_email = models.EmailField(_("Contact email"), blank=True)
    # Decision dates, filled in by staff (and later by the review / funding workflow).
    review_started_at = models.DateTimeField(_("Review started at"), null=True, blank=True)
    notice_published_at = models.DateTimeField(
        _("Results published for public notice at"), null=True, blank=True
    )
    appeal_ends_at = models.DateTimeField(_("Appeal window ends at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("Completed at"), null=True, blank=True)

    base_form_class = CallPageForm
    parent_page_types = ["projects.CallIndexPage"]
    subpage_types: list[str] = []
    cjk_search_sources = ("title", "summary", "body", "search_taxonomy")
    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("cjk_search_text"),
    ]

    def search_taxonomy(self) -> list[str]:
        """Districts and service items (with their categories) the call is open to."""
        items = self.allowed_service_items.select_related("category")
        return both_names(*self.eligible_districts.all()) + [
            name for item in items for name in both_names(item, item.category)
        ]

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("opens_at"), FieldPanel("closes_at")])],
            heading=_("Application period"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("total_budget"),
                FieldPanel("per_project_cap"),
                FieldPanel("min_self_funding_bps"),
                FieldPanel("currency"),
            ],
            heading=_("Budget"),
        ),
        FieldPanel("body"),
        FieldPanel("timeline"),
        FieldPanel("faq"),
        FieldPanel("attachments"),
        MultiFieldPanel(
            [FieldPanel("contact_name"), FieldPanel("contact_phone"), FieldPanel("contact_email")],
            heading=_("Contact"),
        ),
    ]
    eligibility_panels = [
        FieldPanel("eligible_org_types"),
        FieldPanel("verified_only"),
        FieldPanel("min_rating"),
        FieldPanel("eligible_districts"),
        FieldPanel("allowed_service_items"),
        FieldPanel("target_needs"),
        FieldPanel("allow_multiple_applications"),
    ]
    decision_panels = [
        FieldPanel("review_started_at"),
        FieldPanel("notice_published_at"),
        FieldPanel("appeal_ends_at"),
        FieldPanel("completed_at"),
    ]
    edit_handler = TabbedInterface(
        [
            ObjectList(content_panels, heading=_("Content")),
            ObjectList(eligibility_panels, heading=_("Eligibility")),
            ObjectList(decision_panels, heading=_("Decisions")),
            ObjectList(Page.promote_panels, heading=_("Promote")),
            ObjectList(Page.settings_panels, heading=_("Settings")),
        ]
    )

    class Meta:
        verbose_name = _("Call")
        verbose_name_plural = _("Call")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")),
                name="call_closes_after_opening",
            ),
            models.CheckConstraint(
                condition=models.Q(min_self_funding_bps__lte=10_000),
                name="call_self_funding_share_at_most_100pct",
            ),
        ]

    def is_open(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.opens_at <= now < self.closes_at

    def state(self, now: datetime | None = None) -> str:
        """The call's ``CallState`` at ``now``: decisions win over dates, latest first."""
        now = now or timezone.now()
        for field, state in self.DECISION_STATES:
            moment = getattr(self, field)
            if moment is not None and moment <= now:
                return state
        if now < self.opens_at:
            return CallState.UPCOMING
        if now < self.closes_at:
            return CallState.OPEN
        return CallState.CLOSED

    # Latest decision first; the first one reached decides the state.
    DECISION_STATES = [
        ("completed_at", CallState.COMPLETED),
        ("notice_published_at", CallState.PUBLIC_NOTICE),
        ("review_started_at", CallState.UNDER_REVIEW),
    ]

    @classmethod
    def state_q(cls, state: str, now: datetime) -> Q:
        """A filter equivalent to ``state(now) == state`` (kept next to ``state``)."""
        reached = {field: Q(**{f"{field}__lte": now}) for field, _s in cls.DECISION_STATES}
        not_yet = Q()
        for field, decided_state in cls.DECISION_STATES:
            if state == decided_state:
                return not_yet & reached[field]
            not_yet &= ~reached[field] | Q(**{f"{field}__isnull": True})
        if state == CallState.UPCOMING:
            return not_yet & Q(opens_at__gt=now)
        if state == CallState.OPEN:
            return not_yet & Q(opens_at__lte=now, closes_at__gt=now)
        if state == CallState.CLOSED:
            return not_yet & Q(closes_at__lte=now)
        return Q(pk__in=[])

    def get_state_display(self, now: datetime | None = None) -> str:
        return CallState(self.state(now)).label

    @property
    def min_self_funding_percent(self) -> str:
        return f"{self.min_self_funding_bps / 100:g}%"

    def get_context(self, request, *args, **kwargs):
        from ..selectors import call_page_context

        context = super().get_context(request, *args, **kwargs)
        context.update(call_page_context(call=self, user=request.user))
        return context


class ProjectQuerySet(models.QuerySet):
    def public(self):
        return self.exclude(status=ProjectStatus.APPLYING)


class Project(CJKSearchMixin, index.Indexed, models.Model):
    """A community service project shown to the public and able to receive funds."""

    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("Implementing organization"),
        on_delete=models.PROTECT,
        related_name="projects",
    )
    call = models.ForeignKey(
        CallPage,
        verbose_name=_("Call"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="projects",
    )
    title = models.CharField(_("Project title"), max_length=200)
    title_en = models.CharField(
        _("English title"),
        max_length=EN_TITLE_MAX,
        blank=True,
        error_messages={"max_length": EN_TOO_LONG},
        help_text=_("Optional. Shown on the English site instead of the Chinese title."),
    )
    slug = models.SlugField(_("Slug"), max_length=100, unique=True, allow_unicode=True)
    summary = models.TextField(_("Project summary"), blank=True)
    summary_en = models.TextField(
        _("English summary"),
        max_length=EN_SUMMARY_MAX,
        blank=True,
        error_messages={"max_length": EN_TOO_LONG},
        help_text=_("Optional. Shown on the English site instead of the Chinese summary."),
    )
    status = models.CharField(
        _("Status"), max_length=20, choices=ProjectStatus.choices, default=ProjectStatus.APPROVED
    )
    tier = models.CharField(_("Tier"), max_length=20, choices=ProjectTier.choices, blank=True)
    region = models.ForeignKey(
        "organizations.Region",
        verbose_name=_("Service area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="projects",
    )
    service_items = models.ManyToManyField(
        ServiceItem, verbose_name=_("Service item"), blank=True, related_name="projects"
    )
    addressed_needs = models.ManyToManyField(
        "projects.CommunityNeed",
        verbose_name=_("Community needs addressed"),
        blank=True,
        related_name="projects",
    )
    goal_amount = models.PositiveBigIntegerField(_("Fundraising goal (fen)"), default=0)
    currency = models.CharField(_("Currency"), max_length=3, default="CNY")
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    # Brand project (品牌项目): marked by staff after an 优 final evaluation, shown in the
    # public showcase; others start applications from its design (projects.evaluation.brand).
    brand_marked_at = models.DateTimeField(_("Brand project since"), null=True, blank=True)
    brand_method = models.TextField(_("Method summary"), max_length=2000, blank=True)
    brand_method_en = models.TextField(_("English method summary"), max_length=2000, blank=True)

    objects = ProjectQuerySet.as_manager()

    # Site search and the directory's keyword box (portal.core.search.matching): the
    # words people type, in n-grams so that Chinese substrings match on every backend.
    cjk_search_sources = ("title", "summary", "title_en", "summary_en", "search_taxonomy")
    search_fields = [
        index.SearchField("title"),
        index.SearchField("cjk_search_text"),
        index.FilterField("status"),
    ]

    class Meta:
        verbose_name = _("Project")
        verbose_name_plural = _("Project")
        ordering = ["-created_at"]
        indexes = [
            # The public directory: newest first, alone or within one status.
            models.Index(fields=["created_at", "id"], name="project_created_idx"),
            models.Index(fields=["status", "created_at"], name="project_status_created_idx"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("projects:detail", kwargs={"slug": self.slug})

    @property
    def accepts_money(self) -> bool:
        """Whether gifts, match and tranches may go to this project now (agreement
        signed, not closed or terminated; see ``projects.enums.MONEY_OPEN_STATUSES``)."""
        return self.status in MONEY_OPEN_STATUSES

    @property
    def money_refusal(self) -> str:
        """Why the project takes no money now (translated, lower-case clause such as
        "the project was terminated"), or ``""`` when it does."""
        if self.accepts_money:
            return ""
        return str(MONEY_REFUSALS.get(self.status, MONEY_REFUSALS[ProjectStatus.APPLYING]))

    def search_taxonomy(self) -> list[str]:
        """Organization (name and short name), service area with its parents, service
        items and their categories, in Chinese and English."""
        organization = self.organization
        names = [organization.name, organization.name_en, organization.short_name]
        names += both_names(*region_path(self.region))
        for item in self.service_items.all():
            names += both_names(item, item.category)
        return names

    @classmethod
    def get_indexed_objects(cls):
        """What the index text reads, loaded up front (``update_index``, bulk indexing)."""
        return (
            super()
            .get_indexed_objects()
            .select_related("organization", "region__parent__parent")
            .prefetch_related("service_items__category")
        )
