"""The payment-notification inbox: every provider's verified notifications, stored once.

The webhook endpoint only verifies the signature and inserts a row here (unique per
provider and event id, so a re-delivery inserts nothing); workers apply the rows later
in batches (:mod:`funding.services.inbox`). See docs/funding.md, "Webhook inbox".
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ..enums import InboundEventStatus


class InboundEvent(models.Model):
    """One verified provider notification and what applying it did."""

    provider = models.CharField(_("Provider"), max_length=20)
    event_id = models.CharField(_("Event id"), max_length=200)
    event_type = models.CharField(_("Type"), max_length=100, blank=True)
    # Events of one stream (a gift or a payment, as the provider adapter tells) are
    # applied in the order they arrived.
    stream = models.CharField(_("Stream"), max_length=200, blank=True)
    payload = models.JSONField(_("Payload"))
    status = models.CharField(
        _("Status"),
        max_length=10,
        choices=InboundEventStatus.choices,
        default=InboundEventStatus.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(_("Attempts"), default=0)
    available_at = models.DateTimeField(_("Not before"), default=timezone.now)
    received_at = models.DateTimeField(pgettext_lazy("webhook event", "Received at"))
    applied_at = models.DateTimeField(
        pgettext_lazy("webhook event", "Applied at"), null=True, blank=True
    )
    outcome = models.CharField(
        pgettext_lazy("webhook event", "Outcome"), max_length=200, blank=True
    )
    last_error = models.CharField(_("Last error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("Payment notification")
        verbose_name_plural = _("Payment notifications")
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "event_id"], name="funding_inbox_event_once"
            ),
        ]
        indexes = [
            # The workers' claim: pending rows that are due, oldest first.
            models.Index(
                fields=["available_at", "id"],
                condition=models.Q(status="pending"),
                name="funding_inbox_due",
            ),
            # Per-stream order check among pending rows.
            models.Index(
                fields=["stream", "id"],
                condition=models.Q(status="pending"),
                name="funding_inbox_stream",
            ),
            models.Index(fields=["status", "-id"], name="funding_inbox_status"),
        ]

    def __str__(self):
        return f"{self.provider}:{self.event_id}"
