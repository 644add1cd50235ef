from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock

from portal.core.blocks import FAQBlock


class TimelineBlock(blocks.StructBlock):
    date = blocks.DateBlock(label=_("Date"))
    label = blocks.CharBlock(label=_("Milestone"))
    description = blocks.TextBlock(label=_("Description"), required=False)

    class Meta:
        icon = "date"
        label = _("Timeline entry")
        template = "projects/blocks/timeline.html"


class CallDocumentBlock(blocks.StructBlock):
    document = DocumentChooserBlock(label=_("Document"))
    title = blocks.CharBlock(label=_("Title"), required=False)

    class Meta:
        icon = "doc-full"
        label = _("Attachment")
        template = "projects/blocks/document.html"


class TimelineBlocks(blocks.StreamBlock):
    entry = TimelineBlock()


class FAQBlocks(blocks.StreamBlock):
    faq = FAQBlock()


class DocumentBlocks(blocks.StreamBlock):
    document = CallDocumentBlock()
