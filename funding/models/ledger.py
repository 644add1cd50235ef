"""The append-only double-entry ledger.

Rows are only ever inserted, through :func:`funding.services.ledger.post_transaction`.
``save()`` refuses updates and ``delete()`` refuses deletes; corrections are new,
reversing transactions.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..enums import AccountKind, TransactionKind


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete a ledger row."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("ledger rows are append-only")

    def delete(self):
        raise AppendOnlyError("ledger rows are append-only")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("ledger rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("ledger rows are append-only")


class Account(models.Model):
    """A ledger account. ``key`` is its natural key, e.g. ``pool:3`` or ``clearing:stripe``."""

    key = models.CharField(_("Key"), max_length=80, unique=True)
    kind = models.CharField(_("Kind"), max_length=20, choices=AccountKind.choices)
    currency = models.CharField(_("Currency"), max_length=3)
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("Project"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="funding_accounts",
    )
    pool = models.ForeignKey(
        "funding.MatchPool",
        verbose_name=_("Match pool"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accounts",
    )
    sponsor = models.ForeignKey(
        "funding.Sponsor",
        verbose_name=_("Sponsor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accounts",
    )

    class Meta:
        verbose_name = _("Ledger account")
        verbose_name_plural = _("Ledger accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "project", "currency"],
                condition=models.Q(project__isnull=False),
                name="funding_account_one_per_project_kind",
            ),
            models.UniqueConstraint(
                fields=["kind", "pool"],
                condition=models.Q(pool__isnull=False),
                name="funding_account_one_per_pool_kind",
            ),
        ]

    def __str__(self):
        return self.key


class LedgerTransaction(AppendOnlyModel):
    """A balanced group of entries: one money movement."""

    # Money rows are written on the hot path and referenced from nowhere Wagtail shows
    # usage for: keep them out of Wagtail's reference index (saves a lookup and an
    # insert per save inside the gift's transaction).
    wagtail_reference_index_ignore = True

    kind = models.CharField(_("Kind"), max_length=30, choices=TransactionKind.choices)
    idempotency_key = models.CharField(_("Idempotency key"), max_length=120, unique=True)
    currency = models.CharField(_("Currency"), max_length=3)
    memo = models.CharField(_("Memo"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    donation = models.ForeignKey(
        "funding.Donation",
        verbose_name=_("Donation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transactions",
    )
    pool = models.ForeignKey(
        "funding.MatchPool",
        verbose_name=_("Match pool"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transactions",
    )
    reservation = models.ForeignKey(
        "funding.MatchReservation",
        verbose_name=_("Reservation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transactions",
    )
    reverses = models.ForeignKey(
        "self",
        verbose_name=_("Reverses"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversals",
    )

    class Meta:
        verbose_name = _("Ledger transaction")
        verbose_name_plural = _("Ledger transactions")
        ordering = ["-pk"]
        indexes = [models.Index(fields=["kind", "donation"], name="funding_txn_kind_donation")]

    def __str__(self):
        return f"#{self.pk} {self.get_kind_display()}"


class Entry(AppendOnlyModel):
    """One leg of a transaction. ``amount`` is signed fen; never zero."""

    transaction = models.ForeignKey(
        LedgerTransaction,
        verbose_name=_("Transaction"),
        on_delete=models.PROTECT,
        related_name="entries",
    )
    account = models.ForeignKey(
        Account, verbose_name=_("Account"), on_delete=models.PROTECT, related_name="entries"
    )
    amount = models.BigIntegerField(_("Amount (fen)"))
    currency = models.CharField(_("Currency"), max_length=3)

    class Meta:
        verbose_name = _("Ledger entry")
        verbose_name_plural = _("Ledger entries")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(amount=0), name="funding_entry_amount_not_zero"
            ),
            models.UniqueConstraint(
                fields=["transaction", "account"], name="funding_entry_one_leg_per_account"
            ),
        ]
        # Covering index: balances are SUM(amount) per account.
        indexes = [models.Index(fields=["account", "amount"], name="funding_entry_acct_amount")]

    def __str__(self):
        return f"{self.account_id}: {self.amount}"
