from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page, TranslatableMixin
from wagtail.search import index
from wagtail.snippets.models import register_snippet

from .blocks import ContentBlocks, HomeBlocks
from .core.search import CJKSearchMixin


class HomePage(Page):
    body = StreamField(HomeBlocks(), verbose_name=_("Home page content"), blank=True)

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["portal.StandardPage", "portal.NewsIndexPage", "projects.CallIndexPage"]
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
