"""Staff read an appeal's attachment (stored privately; served only here, to people with
``review.manage_review``)."""

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views import View

from .models import Appeal
from .views import StaffRequiredMixin


class AppealAttachmentView(StaffRequiredMixin, View):
    """The attachment of an online appeal, as a download under its original name."""

    def get(self, request, pk: int):
        appeal = get_object_or_404(Appeal, pk=pk)
        if not appeal.attachment:
            raise Http404
        return FileResponse(
            appeal.attachment.open("rb"),
            as_attachment=True,
            filename=appeal.attachment_name or "attachment",
            content_type=appeal.attachment_content_type or "application/octet-stream",
        )


def attachment_link(appeal) -> str:
    """The Appeals listing's link to the attachment (empty without one)."""
    if not appeal.attachment:
        return ""
    return format_html(
        '<a href="{}">{}</a>',
        reverse("review:appeal_attachment", args=[appeal.pk]),
        appeal.attachment_name or _("Attachment"),
    )
