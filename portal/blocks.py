from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock


class HeadingBlock(blocks.CharBlock):
    class Meta:
        icon = "title"
        label = _("小标题")
        template = "portal/blocks/heading.html"


class ImageBlock(blocks.StructBlock):
    image = ImageChooserBlock(label=_("图片"))
    alt_text = blocks.CharBlock(
        label=_("替代文字"), help_text=_("为读屏软件用户描述图片内容"), required=True
    )
    caption = blocks.CharBlock(label=_("说明"), required=False)

    class Meta:
        icon = "image"
        label = _("图片")
        template = "portal/blocks/image.html"


class QuoteBlock(blocks.StructBlock):
    text = blocks.TextBlock(label=_("引文"))
    attribution = blocks.CharBlock(label=_("出处"), required=False)

    class Meta:
        icon = "openquote"
        label = _("引用")
        template = "portal/blocks/quote.html"


class FAQBlock(blocks.StructBlock):
    question = blocks.CharBlock(label=_("问题"))
    answer = blocks.RichTextBlock(label=_("回答"), features=["bold", "italic", "link", "ul", "ol"])

    class Meta:
        icon = "help"
        label = _("常见问题")
        template = "portal/blocks/faq.html"


class ContentBlocks(blocks.StreamBlock):
    heading = HeadingBlock()
    paragraph = blocks.RichTextBlock(
        label=_("段落"),
        icon="pilcrow",
        features=["h3", "bold", "italic", "link", "ol", "ul", "document-link", "hr"],
        template="portal/blocks/paragraph.html",
    )
    image = ImageBlock()
    quote = QuoteBlock()
    faq = FAQBlock()

    class Meta:
        label = _("内容")


class HeroBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("标题"))
    text = blocks.TextBlock(label=_("说明文字"), required=False)
    image = ImageChooserBlock(label=_("背景图片"), required=False)
    button_text = blocks.CharBlock(label=_("按钮文字"), required=False)
    button_page = blocks.PageChooserBlock(label=_("按钮链接页面"), required=False)

    class Meta:
        icon = "pick"
        label = _("首屏横幅")
        template = "portal/blocks/hero.html"


class FeaturedCallsBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("标题"), default=_("正在征集"))
    count = blocks.IntegerBlock(label=_("显示数量"), default=3, min_value=1, max_value=12)

    class Meta:
        icon = "doc-full"
        label = _("推荐征集")
        template = "portal/blocks/featured_calls.html"

    def get_context(self, value, parent_context=None):
        from portal.selectors import featured_calls

        context = super().get_context(value, parent_context=parent_context)
        context["calls"] = featured_calls(limit=value["count"])
        return context


class FeaturedProjectsBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("标题"), default=_("公益项目"))
    count = blocks.IntegerBlock(label=_("显示数量"), default=6, min_value=1, max_value=12)

    class Meta:
        icon = "list-ul"
        label = _("推荐项目")
        template = "portal/blocks/featured_projects.html"

    def get_context(self, value, parent_context=None):
        from portal.selectors import featured_projects

        context = super().get_context(value, parent_context=parent_context)
        context["projects"] = featured_projects(limit=value["count"])
        return context


class FiguresBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("标题"), default=_("平台数据"))

    class Meta:
        icon = "table"
        label = _("数据概览")
        template = "portal/blocks/figures.html"

    def get_context(self, value, parent_context=None):
        from portal.selectors import site_figures

        context = super().get_context(value, parent_context=parent_context)
        context["figures"] = site_figures()
        return context


class LatestNewsBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("标题"), default=_("新闻动态"))
    count = blocks.IntegerBlock(label=_("显示数量"), default=3, min_value=1, max_value=12)

    class Meta:
        icon = "date"
        label = _("最新新闻")
        template = "portal/blocks/latest_news.html"

    def get_context(self, value, parent_context=None):
        from portal.selectors import latest_news

        context = super().get_context(value, parent_context=parent_context)
        context["news"] = latest_news(limit=value["count"])
        return context


class HomeBlocks(blocks.StreamBlock):
    hero = HeroBlock()
    featured_calls = FeaturedCallsBlock()
    featured_projects = FeaturedProjectsBlock()
    figures = FiguresBlock()
    latest_news = LatestNewsBlock()
    paragraph = blocks.RichTextBlock(
        label=_("段落"), icon="pilcrow", template="portal/blocks/paragraph.html"
    )
