from django.conf import settings
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page, TranslatableMixin
from wagtail.search import index
from wagtail.snippets.models import register_snippet

from portal.core.blocks import ContentBlocks

from .blocks import HomeBlocks
from .core.search import CJKSearchMixin


class HomePage(Page):
    body = StreamField(HomeBlocks(), verbose_name=_("Home page content"), blank=True)

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = [
        "portal.StandardPage",
        "portal.NewsIndexPage",
        "portal.PrivacyPolicyPage",
        "projects.CallIndexPage",
    ]
    content_panels = [*Page.content_panels, FieldPanel("body")]

    class Meta:
        verbose_name = _("Home")
        verbose_name_plural = _("Home")


class StandardPage(CJKSearchMixin, Page):
    intro = models.TextField(_("Introduction"), blank=True)
    body = StreamField(ContentBlocks(), verbose_name=_("Body"), blank=True)

    parent_page_types = ["portal.HomePage", "portal.StandardPage"]
    subpage_types = ["portal.StandardPage"]
    cjk_search_sources = ("title", "intro", "body")
    search_fields = [*Page.search_fields, index.SearchField("cjk_search_text")]
    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]

    class Meta:
        verbose_name = _("Content page")
        verbose_name_plural = _("Content page")


class NewsIndexPage(Page):
    intro = RichTextField(_("Intro"), blank=True)

    parent_page_types = ["portal.HomePage"]
    subpage_types = ["portal.NewsPage"]
    max_count_per_parent = 1
    content_panels = [*Page.content_panels, FieldPanel("intro")]
    per_page = 10

    class Meta:
        verbose_name = _("News index page")
        verbose_name_plural = _("News index page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        items = (
            NewsPage.objects.live().child_of(self).order_by("-date", "-pk").select_related("image")
        )
        paginator = Paginator(items, self.per_page)
        try:
            page_obj = paginator.page(request.GET.get("page", 1))
        except PageNotAnInteger:
            page_obj = paginator.page(1)
        except EmptyPage:
            page_obj = paginator.page(paginator.num_pages)
        context["page_obj"] = page_obj
        context["news"] = page_obj.object_list
        return context


class NewsPage(CJKSearchMixin, Page):
    date = models.DateField(_("Date"), default=timezone.localdate)
    summary = models.TextField(_("Summary"), blank=True)
    image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("Lead image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    body = StreamField(ContentBlocks(), verbose_name=_("Body"), blank=True)

    parent_page_types = ["portal.NewsIndexPage"]
    subpage_types: list[str] = []
    cjk_search_sources = ("title", "summary", "body")
    search_fields = [*Page.search_fields, index.SearchField("cjk_search_text")]
    content_panels = [
        *Page.content_panels,
        FieldPanel("date"),
        FieldPanel("summary"),
        FieldPanel("image"),
        FieldPanel("body"),
    ]

    class Meta:
        verbose_name = _("News page")
        verbose_name_plural = _("News page")


class PrivacyPolicyPage(Page):
    """The privacy policy people consent to (PIPL), one per site and language.

    ``version`` is what a consent records: raise it when the policy changes in a way
    people must agree to again (everyone signed in is then asked once more, see
    ``portal.consent``). Correcting a typo keeps the version. The version of the page
    in the default language counts; its translations show the same text.
    """

    version = models.CharField(
        _("Version"),
        max_length=40,
        help_text=_(
            "Change it when people must agree again (e.g. 2026-12). Everyone signed in "
            "is then asked for consent to the new version."
        ),
    )
    effective_date = models.DateField(_("Effective from"), default=timezone.localdate)
    intro = models.TextField(
        _("Summary"),
        blank=True,
        help_text=_("What is collected and why, in a few sentences (shown on the consent page)."),
    )
    body = StreamField(ContentBlocks(), verbose_name=_("Body"), blank=True)

    parent_page_types = ["portal.HomePage"]
    subpage_types: list[str] = []
    max_count_per_parent = 1
    content_panels = [
        *Page.content_panels,
        FieldPanel("version"),
        FieldPanel("effective_date"),
        FieldPanel("intro"),
        FieldPanel("body"),
    ]

    class Meta:
        verbose_name = _("Privacy policy")
        verbose_name_plural = _("Privacy policy")


class ConsentPurpose(models.TextChoices):
    PRIVACY_POLICY = "privacy_policy", _("Privacy policy")


class Consent(models.Model):
    """One person's consent to one version of a policy (PIPL art. 14): when it was
    given and, once withdrawn, when. Rows are never deleted: a withdrawal is recorded
    next to the consent it ends, and a new consent is a new row."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="consents",
        verbose_name=_("Person"),
    )
    purpose = models.CharField(
        pgettext_lazy("consent", "Purpose"), max_length=32, choices=ConsentPurpose.choices
    )
    version = models.CharField(_("Version"), max_length=40)
    given_at = models.DateTimeField(_("Given at"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("Withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Consent")
        verbose_name_plural = _("Consents")
        ordering = ["-given_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "purpose", "version"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="portal_consent_one_active_per_version",
            ),
            models.CheckConstraint(
                condition=models.Q(withdrawn_at__isnull=True)
                | models.Q(withdrawn_at__gte=models.F("given_at")),
                name="portal_consent_withdrawn_after_given",
            ),
        ]

    def __str__(self):
        return f"{self.get_purpose_display()} {self.version}"

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None


@register_snippet
class Footer(TranslatableMixin, models.Model):
    """Footer text per language, edited under Snippets in the admin."""

    about = RichTextField(_("About the portal"), features=["bold", "italic", "link"], blank=True)
    contact = models.TextField(_("Contact details"), blank=True)
    filing_number = models.CharField(_("ICP filing number"), max_length=100, blank=True)

    panels = [FieldPanel("about"), FieldPanel("contact"), FieldPanel("filing_number")]

    class Meta(TranslatableMixin.Meta):
        verbose_name = _("Footer")
        verbose_name_plural = _("Footer")

    def __str__(self):
        return str(_("Footer")) + f" ({self.locale})"
