from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock


class HeroBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("Title"))
    text = blocks.TextBlock(label=_("Text"), required=False)
    image = ImageChooserBlock(label=_("Background image"), required=False)
    button_text = blocks.CharBlock(label=_("Button text"), required=False)
    button_page = blocks.PageChooserBlock(label=_("Button link page"), required=False)

    class Meta:
        icon = "pick"
        label = _("Hero banner")
        template = "portal/blocks/hero.html"


class SelectorBlock(blocks.StructBlock):
    """A block that fills itself from a ``portal.selectors`` function when rendered.

    Subclasses name the selector and the context variable; a ``count`` field, when the
    block has one, becomes the selector's ``limit``."""

    selector: str = ""
    context_name: str = ""

    def get_context(self, value, parent_context=None):
        from portal import selectors

        context = super().get_context(value, parent_context=parent_context)
        kwargs = {"limit": value["count"]} if "count" in value else {}
        context[self.context_name] = getattr(selectors, self.selector)(**kwargs)
        return context


class FeaturedCallsBlock(SelectorBlock):
    heading = blocks.CharBlock(label=_("Title"), default=_("Open calls"))
    count = blocks.IntegerBlock(label=_("Number shown"), default=3, min_value=1, max_value=12)
    selector, context_name = "featured_calls", "calls"

    class Meta:
        icon = "doc-full"
        label = _("Featured calls")
        template = "portal/blocks/featured_calls.html"


class FeaturedProjectsBlock(SelectorBlock):
    heading = blocks.CharBlock(label=_("Title"), default=_("Projects"))
    count = blocks.IntegerBlock(label=_("Number shown"), default=6, min_value=1, max_value=12)
    selector, context_name = "featured_projects", "projects"

    class Meta:
        icon = "list-ul"
        label = _("Featured projects")
        template = "portal/blocks/featured_projects.html"


class FiguresBlock(SelectorBlock):
    heading = blocks.CharBlock(label=_("Title"), default=_("In figures"))
    selector, context_name = "site_figures", "figures"

    class Meta:
        icon = "table"
        label = _("Figures")
        template = "portal/blocks/figures.html"


class LatestNewsBlock(SelectorBlock):
    heading = blocks.CharBlock(label=_("Title"), default=_("News"))
    count = blocks.IntegerBlock(label=_("Number shown"), default=3, min_value=1, max_value=12)
    selector, context_name = "latest_news", "news"

    class Meta:
        icon = "date"
        label = _("Latest news")
        template = "portal/blocks/latest_news.html"


class HomeBlocks(blocks.StreamBlock):
    hero = HeroBlock()
    featured_calls = FeaturedCallsBlock()
    featured_projects = FeaturedProjectsBlock()
    figures = FiguresBlock()
    latest_news = LatestNewsBlock()
    paragraph = blocks.RichTextBlock(
        label=_("Paragraph"), icon="pilcrow", template="portal/blocks/paragraph.html"
    )
