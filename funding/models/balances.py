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


class PoolBalance(models.Model):
    """Running totals of one match pool, in minor units (fen).

    ``available`` and ``reserved`` are the balances of the pool's two ledger accounts
    (kinds ``pool`` and ``pool_reserved``); ``granted`` is the net match the pool paid
    to projects (entries on project / general funds in the pool's MATCH_KINDS
    transactions). Changed only by :func:`funding.services.balances.apply_pool_deltas`
    inside :func:`funding.services.ledger.post_transaction` — a conditional
    ``UPDATE … WHERE available + delta >= 0`` in the posting's own transaction — and
    rebuilt by :func:`funding.services.balances.rebuild_pool_balances`. ``reconcile``
    proves every row equal to the ledger sums.
    """

    pool = models.OneToOneField(
        "funding.MatchPool",
        verbose_name=_("Match pool"),
        primary_key=True,
        related_name="balance",
        on_delete=models.PROTECT,
    )
    available = models.BigIntegerField(_("Available (fen)"), default=0)
    reserved = models.BigIntegerField(_("Reserved (fen)"), default=0)
    granted = models.BigIntegerField(_("Granted (fen)"), default=0)
    updated_at = models.DateTimeField(_("Updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("Pool balance")
        verbose_name_plural = _("Pool balances")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(available__gte=0, reserved__gte=0, granted__gte=0),
                name="funding_pool_balance_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.pool_id}: {self.available}/{self.reserved}/{self.granted}"


class MatchCapUsage(models.Model):
    """Live match (held + confirmed − reversed) counted against one cap of live
    matching, so a cap check reads one row instead of summing the day's reservations.

    ``key`` is ``project:<project id>``, ``donor:<project id>:<lower-case email>`` or
    ``day:<call id>:<YYYY-MM-DD>`` (the local day the gift was received, or the day
    its hold was taken while it is in checkout). Maintained by the matching services in
    the same transaction as the reservation change; ``reconcile`` proves every row
    equal to the reservations.
    """

    key = models.CharField(_("Key"), max_length=320, unique=True)
    used = models.BigIntegerField(_("Used (fen)"), default=0)

    class Meta:
        verbose_name = _("Match cap usage")
        verbose_name_plural = _("Match cap usage")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(used__gte=0), name="funding_cap_usage_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.key}: {self.used}"
