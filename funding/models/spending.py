from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..enums import ClawBackKind, ClawBackStatus, DisbursementStatus, LeftoverDestination
from ..storage import private_storage


class FourEyesMoney(models.Model):
    """Money one finance officer records and a second approves (the four-eyes rule:
    ``approved_by`` is never ``recorded_by``, a database constraint on each table); a
    refusal or cancellation carries who decided and why. Tranches and leftover
    transfers share these fields and their states (``DisbursementStatus``)."""

    status = models.CharField(
        _("Status"),
        max_length=20,
        choices=DisbursementStatus.choices,
        default=DisbursementStatus.RECORDED,
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Rejected or cancelled by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decision_reason = models.TextField(_("Reason for rejecting or cancelling"), blank=True)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    approved_at = models.DateTimeField(_("Approved at"), null=True, blank=True)

    class Meta:
        abstract = True


class Disbursement(FourEyesMoney):
    """A tranche (拨付) paid to a project; counts only after a second finance approval."""

    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("Project"),
        on_delete=models.PROTECT,
        related_name="disbursements",
    )
    tranche = models.PositiveSmallIntegerField(_("Tranche"))
    amount = models.PositiveBigIntegerField(_("Amount (fen)"))
    currency = models.CharField(_("Currency"), max_length=3, default="CNY")
    milestone = models.CharField(_("Milestone"), max_length=300, blank=True)
    reference = models.CharField(_("Bank reference"), max_length=100, blank=True)
    paid_on = models.DateField(_("Payment date"), null=True, blank=True)

    class Meta:
        verbose_name = _("Disbursement")
        verbose_name_plural = _("Disbursements")
        ordering = ["project", "tranche"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="funding_disb_pos"),
            models.UniqueConstraint(fields=["project", "tranche"], name="funding_disb_tranche"),
            models.CheckConstraint(
                condition=~models.Q(approved_by=models.F("recorded_by")),
                name="funding_disb_four_eyes",
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=["rejected", "cancelled"])
                | ~models.Q(decision_reason=""),
                name="funding_disb_refusal_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.project} #{self.tranche}"


def _receipt_path(instance, filename):
    return f"funding/expenditures/{instance.project_id}/{filename}"


class Expenditure(models.Model):
    """Money the organization spent on a budget line, with its receipt."""

    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("Project"),
        on_delete=models.PROTECT,
        related_name="expenditures",
    )
    budget_line = models.CharField(_("Budget line"), max_length=200)
    amount = models.PositiveBigIntegerField(_("Amount (fen)"))
    currency = models.CharField(_("Currency"), max_length=3, default="CNY")
    spent_on = models.DateField(_("Spent on"))
    description = models.CharField(_("Description"), max_length=300, blank=True)
    receipt = models.FileField(
        _("Receipt"),
        upload_to=_receipt_path,
        storage=private_storage,
        blank=True,
        max_length=255,
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Expenditure")
        verbose_name_plural = _("Expenditures")
        ordering = ["-spent_on"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="funding_exp_pos"),
        ]
        indexes = [models.Index(fields=["project", "amount"], name="funding_exp_project")]

    def __str__(self):
        return f"{self.project}: {self.budget_line}"


class ClawBack(models.Model):
    """Money a project owes back because a refund came after the money was used.

    Written by the refund itself (same transaction), once per refund: a refund after
    disbursement that leaves the project fund below zero (``fund_shortfall``: the
    amount below zero not yet covered by open claw-backs), or a refund of a gift that a
    committed settlement counted (``settlement_overpaid``: the match the settlement
    paid for money that went back). The ledger is not changed by it; finance recovers
    the money from the organization (or writes it off) and records that here.
    """

    key = models.CharField(_("Key"), max_length=160, unique=True)
    kind = models.CharField(_("Kind"), max_length=30, choices=ClawBackKind.choices)
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("Project"),
        on_delete=models.PROTECT,
        related_name="claw_backs",
    )
    donation = models.ForeignKey(
        "funding.Donation",
        verbose_name=_("Donation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claw_backs",
    )
    amount = models.PositiveBigIntegerField(_("Amount (fen)"))
    currency = models.CharField(_("Currency"), max_length=3, default="CNY")
    reason = models.CharField(_("Reason"), max_length=300)
    status = models.CharField(
        _("Status"), max_length=20, choices=ClawBackStatus.choices, default=ClawBackStatus.OPEN
    )
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Claw-back")
        verbose_name_plural = _("Claw-backs")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="funding_claw_pos"),
        ]

    def __str__(self):
        return f"{self.project_id}: {self.amount} ({self.kind})"


class LeftoverTransfer(FourEyesMoney):
    """Leftover money (结余资金) of a project that ended, moved on (four-eyes like a
    tranche): ``undisbursed`` from the project fund (raised and matched, never paid
    out) and ``unspent`` (paid out, not spent, transferred back by the organization)
    go to a match pool, the general fund or another project's fund. One finance officer
    records it, another approves it; only the approval posts to the ledger (kind
    ``leftover``)."""

    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("Project"),
        on_delete=models.PROTECT,
        related_name="leftover_transfers",
    )
    undisbursed = models.PositiveBigIntegerField(_("Never disbursed (fen)"), default=0)
    unspent = models.PositiveBigIntegerField(_("Disbursed, unspent, returned (fen)"), default=0)
    currency = models.CharField(_("Currency"), max_length=3, default="CNY")
    destination = models.CharField(
        _("Destination"), max_length=20, choices=LeftoverDestination.choices
    )
    pool = models.ForeignKey(
        "funding.MatchPool",
        verbose_name=_("Match pool"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="leftover_transfers",
    )
    target_project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("Regranted to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="leftover_received",
    )
    reference = models.CharField(_("Bank reference of the return"), max_length=100, blank=True)
    note = models.TextField(_("Note"), blank=True)

    class Meta:
        verbose_name = _("Leftover money transfer")
        verbose_name_plural = _("Leftover money transfers")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(undisbursed__gt=0) | models.Q(unspent__gt=0),
                name="funding_leftover_pos",
            ),
            models.CheckConstraint(
                condition=~models.Q(approved_by=models.F("recorded_by")),
                name="funding_leftover_four_eyes",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(destination="pool", pool__isnull=False, target_project__isnull=True)
                    | models.Q(
                        destination="general", pool__isnull=True, target_project__isnull=True
                    )
                    | models.Q(
                        destination="project", pool__isnull=True, target_project__isnull=False
                    )
                ),
                name="funding_leftover_destination",
            ),
            models.CheckConstraint(
                condition=~models.Q(target_project=models.F("project")),
                name="funding_leftover_not_to_itself",
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=["rejected", "cancelled"])
                | ~models.Q(decision_reason=""),
                name="funding_leftover_refusal_has_reason",
            ),
            # At most one transfer awaiting approval per project.
            models.UniqueConstraint(
                fields=["project"],
                condition=models.Q(status="recorded"),
                name="funding_leftover_one_open",
            ),
        ]

    def __str__(self):
        return f"{self.project} → {self.get_destination_display()}"

    @property
    def amount(self) -> int:
        return self.undisbursed + self.unspent
