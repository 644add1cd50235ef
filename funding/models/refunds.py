"""Refunds finance asked of a payment provider (WeChat Pay, Alipay).

One row per request, written and committed under the gift's row lock *before* the
provider is called, so a request is never sent without a trace and a second one is
refused while the first has no final answer (see :mod:`funding.services.refunds`).
The ledger still moves only when the provider reports the refund, through the inbox.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..enums import RefundRequestStatus
from .donations import Donation


class RefundRequest(models.Model):
    """One refund finance asked a provider for, and what the provider answered."""

    donation = models.ForeignKey(
        Donation,
        verbose_name=_("Donation"),
        on_delete=models.PROTECT,
        related_name="refund_requests",
    )
    # Our refund number (WeChat Pay ``out_refund_no``, Alipay ``out_request_no``).
    out_refund_no = models.CharField(_("Refund number"), max_length=64, unique=True)
    amount = models.PositiveBigIntegerField(_("Amount (fen)"))
    status = models.CharField(
        _("Status"),
        max_length=10,
        choices=RefundRequestStatus.choices,
        default=RefundRequestStatus.REQUESTED,
    )
    # What the provider said, as it said it (PROCESSING, SUCCESS, ABNORMAL, CLOSED,
    # an Alipay sub_code …) and why it failed, for finance.
    provider_status = models.CharField(_("Provider status"), max_length=40, blank=True)
    provider_reason = models.CharField(_("Provider's reason"), max_length=300, blank=True)
    note = models.CharField(_("Reason (sent to the provider)"), max_length=100, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("Updated at"), auto_now=True)
    settled_at = models.DateTimeField(_("Answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Refund request")
        verbose_name_plural = _("Refund requests")
        ordering = ["-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="funding_refund_request_positive"
            ),
            # At most one request per gift waiting for the provider's answer.
            models.UniqueConstraint(
                fields=["donation"],
                condition=models.Q(status="requested"),
                name="funding_refund_request_one_open",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["requested", "succeeded", "failed"]),
                name="funding_refund_request_status",
            ),
        ]
        indexes = [
            # reconcile / provider sync: requests still waiting, oldest first.
            models.Index(
                fields=["created_at"],
                condition=models.Q(status="requested"),
                name="funding_refund_request_open",
            ),
        ]

    def __str__(self):
        return self.out_refund_no

    @property
    def explanation(self):
        """What the provider's status means for finance (empty when it says nothing
        more than the status)."""
        return PROVIDER_STATUS_HELP.get(self.provider_status, "")


PROVIDER_STATUS_HELP = {
    "PROCESSING": _("The provider is processing the refund; its notification follows."),
    "ABNORMAL": _(
        "Refund abnormal: the donor's card or account can no longer receive it. Handle it "
        "in the WeChat Pay merchant platform, or ask for a new refund here."
    ),
    "CLOSED": _("The provider closed the refund; no money went back."),
    "NOT_FOUND": _("The provider never received this request; no money went back."),
}
