"""Bank statements finance imports to find offline pledges' transfers.

A statement line whose memo (附言) carries a pledge's reference code is *proposed* as
that pledge's gift; a finance officer confirms it, which records the offline gift (then
approved by a second officer, like every offline gift). Lines are unique per bank line
(the bank's serial number, or the line's content), so a file imported twice, or two
exports that overlap, count nothing twice. See :mod:`funding.services.statements`.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..enums import StatementLineStatus
from .donations import Donation
from .offline import OfflinePledge


class BankStatement(models.Model):
    """One imported statement file."""

    file_name = models.CharField(_("File name"), max_length=255)
    # SHA-256 of the file's bytes: the same file is imported once.
    checksum = models.CharField(_("Checksum"), max_length=64, unique=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Imported by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    line_count = models.PositiveIntegerField(_("New lines"), default=0)
    skipped_count = models.PositiveIntegerField(_("Lines already imported"), default=0)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Bank statement")
        verbose_name_plural = _("Bank statements")
        ordering = ["-pk"]

    def __str__(self):
        return self.file_name


class BankStatementLine(models.Model):
    """One incoming transfer on a statement, and its match to a pledge."""

    statement = models.ForeignKey(
        BankStatement,
        verbose_name=_("Bank statement"),
        on_delete=models.CASCADE,
        related_name="lines",
    )
    # The bank's serial number when the export has one, else a digest of the line.
    line_key = models.CharField(_("Line key"), max_length=100, unique=True)
    row = models.PositiveIntegerField(_("Row"))
    booked_at = models.DateTimeField(_("Date"))
    amount = models.PositiveBigIntegerField(_("Amount (fen)"))
    payer_name = models.CharField(_("Payer name"), max_length=200, blank=True)
    payer_account = models.CharField(_("Payer account"), max_length=64, blank=True)
    memo = models.CharField(_("Memo"), max_length=500, blank=True)
    bank_reference = models.CharField(_("Bank serial number"), max_length=100, blank=True)
    status = models.CharField(
        _("Status"),
        max_length=10,
        choices=StatementLineStatus.choices,
        default=StatementLineStatus.UNMATCHED,
    )
    pledge = models.ForeignKey(
        OfflinePledge,
        verbose_name=_("Offline pledge"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="statement_lines",
    )
    donation = models.OneToOneField(
        Donation,
        verbose_name=_("Recorded gift"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="statement_line",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("Bank statement line")
        verbose_name_plural = _("Bank statement lines")
        ordering = ["booked_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="funding_statement_line_positive"
            ),
            # A pledge is recorded from one line at most.
            models.UniqueConstraint(
                fields=["pledge"],
                condition=models.Q(status="recorded"),
                name="funding_statement_pledge_once",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="recorded") | models.Q(donation__isnull=False),
                name="funding_statement_recorded_has_gift",
            ),
        ]

    def __str__(self):
        return f"{self.booked_at:%Y-%m-%d} {self.payer_name} {self.amount}"
