"""The objection an applicant or anyone raises during the public notice (异议).

Kept apart from ``models`` (which re-exports :class:`Appeal`) so the review models stay
within the size limit; the attachment is stored privately and served only by the admin
view that checks ``review.manage_review`` (``appeal_views.attachment_download``).
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.admin.panels import FieldPanel

from projects.storage import private_storage

from .enums import AppealStatus


def _attachment_path(instance, filename):
    extension = filename.rsplit(".", 1)[-1].lower()
    return f"review/appeals/{instance.decision_id}/{uuid.uuid4().hex}.{extension}"


class Appeal(models.Model):
    """An objection raised during the public-notice window (异议), resolved by staff."""

    decision = models.ForeignKey(
        "review.Decision",
        on_delete=models.CASCADE,
        related_name="appeals",
        verbose_name=pgettext_lazy("funding decision", "Decision"),
    )
    appellant = models.CharField(pgettext_lazy("objection", "Raised by"), max_length=200)
    organization = models.ForeignKey(
        "organizations.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="review_appeals",
        verbose_name=_("Applicant organization (appeal filed online)"),
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Submitted by"),
    )
    text = models.TextField(_("Appeal"))
    received_at = models.DateTimeField(_("Received at"))
    status = models.CharField(
        _("Status"), max_length=20, choices=AppealStatus.choices, default=AppealStatus.OPEN
    )
    resolution = models.TextField(_("Resolution"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Resolved by"),
    )
    resolved_at = models.DateTimeField(_("Resolved at"), null=True, blank=True)
    attachment = models.FileField(
        _("Attachment"),
        upload_to=_attachment_path,
        storage=private_storage,
        blank=True,
        max_length=255,
    )
    attachment_name = models.CharField(_("Attachment file name"), max_length=255, blank=True)
    attachment_content_type = models.CharField(max_length=100, blank=True)

    panels = [
        FieldPanel("decision"),
        FieldPanel("appellant"),
        FieldPanel("text"),
        FieldPanel("received_at"),
    ]

    class Meta:
        verbose_name = _("Appeal")
        verbose_name_plural = _("Appeals")
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[AppealStatus.OPEN, AppealStatus.WITHDRAWN])
                | ~Q(resolution=""),
                name="review_appeal_resolution_given",
            ),
            # An applicant appeals its own decision once (a withdrawn appeal counts).
            models.UniqueConstraint(
                fields=["decision"],
                condition=Q(organization__isnull=False),
                name="review_appeal_once_per_application",
            ),
        ]

    def __str__(self):
        return f"{self.decision.application} · {self.appellant}"
