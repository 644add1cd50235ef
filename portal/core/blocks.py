"""Content blocks any page may use (headings, images, quotes, FAQ, rich text). The home
page's blocks, which read the site's selectors, are ``portal.blocks`` (the site's top)."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock


class HeadingBlock(blocks.CharBlock):
    class Meta:
        icon = "title"
        label = _("Heading")
        template = "portal/blocks/heading.html"


class ImageBlock(blocks.StructBlock):
    image = ImageChooserBlock(label=_("Image"))
    alt_text = blocks.CharBlock(
        label=_("Alternative text"),
        help_text=_("Describe the image for screen-reader users"),
        required=True,
    )
    caption = blocks.CharBlock(label=_("Description"), required=False)

    class Meta:
        icon = "image"
        label = _("Image")
        template = "portal/blocks/image.html"


class QuoteBlock(blocks.StructBlock):
    text = blocks.TextBlock(label=_("Quote text"))
    attribution = blocks.CharBlock(label=_("Attribution"), required=False)

    class Meta:
        icon = "openquote"
        label = _("Quote")
        template = "portal/blocks/quote.html"


class FAQBlock(blocks.StructBlock):
    question = blocks.CharBlock(label=_("Question"))
    answer = blocks.RichTextBlock(
        label=_("Answer"), features=["bold", "italic", "link", "ul", "ol"]
    )

    class Meta:
        icon = "help"
        label = _("FAQ")
        template = "portal/blocks/faq.html"


class ContentBlocks(blocks.StreamBlock):
    heading = HeadingBlock()
    paragraph = blocks.RichTextBlock(
        label=_("Paragraph"),
        icon="pilcrow",
        features=["h3", "bold", "italic", "link", "ol", "ul", "document-link", "hr"],
        template="portal/blocks/paragraph.html",
    )
    image = ImageBlock()
    quote = QuoteBlock()
    faq = FAQBlock()

    class Meta:
        label = _("Content")
