"""Denormalised per-project money totals, maintained by the ledger posting service.

A ``ProjectBalance`` row is a cache of sums that ``reconcile`` proves equal to the
ledger: it is changed only by :func:`funding.services.balances.apply_deltas` (atomic
``F()`` increments in the same database transaction as the posting or expenditure), and
rebuilt from the entries by :func:`funding.services.balances.rebuild_balances`.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ProjectBalance(models.Model):
    """Raised, matched, disbursed and spent for one project, in minor units (fen).

    Definitions (exactly those of ``reconcile`` and ``projects.directory``): sums of the
    entries on the project's *project fund* accounts by transaction kind —
    ``raised`` = RAISED_KINDS, ``matched`` = MATCH_KINDS, ``disbursed`` = −DISBURSED_KINDS —
    and ``spent`` = sum of recorded expenditures. A row exists from the project's first
    posting or expenditure on; a project without one has zeros.
    """

    project = models.OneToOneField(
        "projects.Project",
        verbose_name=_("Project"),
        primary_key=True,
        related_name="balance",
        on_delete=models.PROTECT,
    )
    raised = models.BigIntegerField(_("Raised (fen)"), default=0)
    matched = models.BigIntegerField(_("Matched (fen)"), default=0)
    disbursed = models.BigIntegerField(_("Disbursed (fen)"), default=0)
    spent = models.BigIntegerField(_("Spent (fen)"), default=0)
    currency = models.CharField(_("Currency"), max_length=3, default="CNY")
    updated_at = models.DateTimeField(_("Updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("Project balance")
        verbose_name_plural = _("Project balances")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(raised__gte=0, matched__gte=0, disbursed__gte=0, spent__gte=0),
                name="funding_balance_not_negative",
            ),
            # Money is spent only after it was paid out to the project.
            models.CheckConstraint(
                condition=models.Q(spent__lte=models.F("disbursed")),
                name="funding_balance_spent_le_disbursed",
            ),
        ]
        indexes = [
            models.Index(fields=["-raised"], name="funding_balance_raised"),
            models.Index(models.F("raised") + models.F("matched"), name="funding_balance_funded"),
        ]

    def __str__(self):
        return f"{self.project_id}: {self.raised}+{self.matched}"

    @property
    def funded(self) -> int:
        return self.raised + self.matched
