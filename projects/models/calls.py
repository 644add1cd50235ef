from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from portal.blocks import ContentBlocks

from .enums import ProjectStatus, ProjectTier


class ServiceCategory(models.Model):
    """First level of the 点单 service catalogue, e.g. 为老服务."""

    code = models.CharField(_("Code"), max_length=10, unique=True)
    name = models.CharField(_("Name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    description = models.TextField(_("Description"), blank=True)
    sort_order = models.PositiveIntegerField(_("Sort order"), default=0)

    class Meta:
        verbose_name = _("Service category")
        verbose_name_plural = _("Service category")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return self.name


class ServiceItem(models.Model):
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
        return f"{self.code} {self.name}"


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
        context = super().get_context(request, *args, **kwargs)
        context["calls"] = (
            CallPage.objects.live().child_of(self).order_by("-opens_at").specific()
        )
        return context


class CallPage(Page):
    """A public call (征集) for community service projects."""

    summary = models.TextField(_("Summary"), blank=True)
    body = StreamField(ContentBlocks(), verbose_name=_("Body"), blank=True)
    opens_at = models.DateTimeField(_("Opens at"), default=timezone.now)
    closes_at = models.DateTimeField(_("Closes at"), default=timezone.now)
    total_budget = models.PositiveBigIntegerField(_("Total budget (fen)"), default=0)
    per_project_cap = models.PositiveBigIntegerField(_("Cap per project (fen)"), default=0)

    parent_page_types = ["projects.CallIndexPage"]
    subpage_types: list[str] = []
    search_fields = [*Page.search_fields, index.SearchField("summary")]
    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        MultiFieldPanel(
            [FieldPanel("opens_at"), FieldPanel("closes_at")], heading=_("Application period")
        ),
        MultiFieldPanel(
            [FieldPanel("total_budget"), FieldPanel("per_project_cap")], heading=_("Budget")
        ),
        FieldPanel("body"),
    ]

    class Meta:
        verbose_name = _("Call")
        verbose_name_plural = _("Call")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")),
                name="call_closes_after_opening",
            ),
        ]

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.opens_at <= now < self.closes_at


class ProjectQuerySet(models.QuerySet):
    def public(self):
        return self.exclude(status=ProjectStatus.APPLYING)


class Project(models.Model):
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
    slug = models.SlugField(_("Slug"), max_length=100, unique=True, allow_unicode=True)
    summary = models.TextField(_("Project summary"), blank=True)
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
    goal_amount = models.PositiveBigIntegerField(_("Fundraising goal (fen)"), default=0)
    currency = models.CharField(_("Currency"), max_length=3, default="CNY")
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("Project")
        verbose_name_plural = _("Project")
        ordering = ["-created_at"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("projects:detail", kwargs={"slug": self.slug})
