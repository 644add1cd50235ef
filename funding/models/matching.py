from decimal import Decimal
from fractions import Fraction

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from projects.enums import ProjectTier

from ..enums import MatchingMode, ReservationStatus, SponsorKind


class RatioMixin:
    """``ratio`` (donation : match as a Fraction) and its label, for models with
    ``ratio_num`` / ``ratio_den`` fields (pools, rules, rank tiers, settlement lines)."""

    @property
    def ratio(self) -> Fraction:
        return Fraction(self.ratio_num, self.ratio_den)

    @property
    def ratio_label(self) -> str:
        return ratio_label(self.ratio)


class Sponsor(models.Model):
    name = models.CharField(_("Name"), max_length=200, unique=True)
    kind = models.CharField(_("Kind"), max_length=20, choices=SponsorKind.choices)
    contact = models.CharField(_("Contact"), max_length=200, blank=True)
    is_public = models.BooleanField(_("Show name publicly"), default=True)

    class Meta:
        verbose_name = _("Sponsor")
        verbose_name_plural = _("Sponsors")
        ordering = ["name"]

    def __str__(self):
        return self.name


class MatchPoolQuerySet(models.QuerySet):
    def active(self, at=None):
        at = at or timezone.now()
        # Keep in step with MatchPool.is_active.
        return self.filter(is_closed=False, starts_at__lte=at, ends_at__gt=at)

    def for_project(self, project):
        """Pools that may match this project: listed for it, or for its call."""
        q = models.Q(projects=project)
        if project.call_id:
            q |= models.Q(calls__pk=project.call_id)
        return self.filter(q).distinct()


class MatchPool(RatioMixin, models.Model):
    """Money a sponsor commits to matching. Its balance lives in the ledger."""

    sponsor = models.ForeignKey(
        Sponsor, verbose_name=_("Sponsor"), on_delete=models.PROTECT, related_name="pools"
    )
    name = models.CharField(_("Name"), max_length=200)
    currency = models.CharField(_("Currency"), max_length=3, default="CNY")
    priority = models.PositiveIntegerField(
        _("Priority"), default=100, help_text=_("Lower numbers are used first.")
    )
    ratio_num = models.PositiveIntegerField(_("Ratio numerator"), default=1)
    ratio_den = models.PositiveIntegerField(_("Ratio denominator"), default=1)
    starts_at = models.DateTimeField(_("Valid from"), default=timezone.now)
    ends_at = models.DateTimeField(_("Valid until"))
    calls = models.ManyToManyField(
        "projects.CallPage", verbose_name=_("Calls"), blank=True, related_name="match_pools"
    )
    projects = models.ManyToManyField(
        "projects.Project", verbose_name=_("Projects"), blank=True, related_name="match_pools"
    )
    is_closed = models.BooleanField(pgettext_lazy("match pool", "Closed"), default=False)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    objects = MatchPoolQuerySet.as_manager()

    class Meta:
        verbose_name = _("Match pool")
        verbose_name_plural = _("Match pools")
        ordering = ["priority", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ratio_num__gt=0) & models.Q(ratio_den__gt=0),
                name="funding_pool_ratio_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="funding_pool_window_valid",
            ),
        ]

    def __str__(self):
        return self.name

    def is_active(self, at) -> bool:
        """Whether the pool matches at ``at`` (as ``MatchPool.objects.active(at)``)."""
        return not self.is_closed and self.starts_at <= at < self.ends_at


def default_tiers():
    return [ProjectTier.FUNDED_MATCHED.value]


class MatchingRule(RatioMixin, models.Model):
    """How donations to a call's projects are matched."""

    call = models.OneToOneField(
        "projects.CallPage",
        verbose_name=_("Call"),
        on_delete=models.CASCADE,
        related_name="matching_rule",
    )
    mode = models.CharField(
        _("Mode"), max_length=20, choices=MatchingMode.choices, default=MatchingMode.LIVE
    )
    ratio_num = models.PositiveIntegerField(_("Ratio numerator"), default=1)
    ratio_den = models.PositiveIntegerField(_("Ratio denominator"), default=1)
    cap_per_donation = models.PositiveBigIntegerField(
        _("Cap per donation (fen)"), default=0, help_text=_("0 means no cap.")
    )
    cap_per_donor_project = models.PositiveBigIntegerField(
        _("Cap per donor per project (fen)"), default=0, help_text=_("0 means no cap.")
    )
    cap_per_project = models.PositiveBigIntegerField(
        _("Cap per project (fen)"), default=0, help_text=_("0 means no cap.")
    )
    cap_per_day = models.PositiveBigIntegerField(
        _("Cap per day across the call (fen)"), default=0, help_text=_("0 means no cap.")
    )
    min_donation = models.PositiveBigIntegerField(_("Minimum donation matched (fen)"), default=0)
    campaign_starts_at = models.DateTimeField(_("Campaign starts"))
    campaign_ends_at = models.DateTimeField(_("Campaign ends"))
    qualifying_tiers = models.JSONField(_("Qualifying tiers"), default=default_tiers)
    count_offline = models.BooleanField(_("Offline donations count"), default=True)
    count_imported = models.BooleanField(_("Imported donations count"), default=True)
    regrant_released = models.BooleanField(
        _("Re-grant released match after the campaign"), default=False
    )

    class Meta:
        verbose_name = _("Matching rule")
        verbose_name_plural = _("Matching rules")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ratio_num__gt=0) & models.Q(ratio_den__gt=0),
                name="funding_rule_ratio_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(campaign_ends_at__gt=models.F("campaign_starts_at")),
                name="funding_rule_window_valid",
            ),
        ]

    def __str__(self):
        return str(self.call)

    def in_campaign(self, at) -> bool:
        return self.campaign_starts_at <= at < self.campaign_ends_at


class MatchReservationQuerySet(models.QuerySet):
    def live(self):
        return self.filter(status__in=[ReservationStatus.HELD, ReservationStatus.CONFIRMED])

    def expired(self, now=None):
        return self.filter(status=ReservationStatus.HELD, expires_at__lte=now or timezone.now())


class MatchReservation(models.Model):
    """Match held from one pool for one donation during checkout, then confirmed or released.

    ``amount`` is the match; ``covered`` the part of the donation this pool matched;
    ``reversed_amount`` how much confirmed match later went back (refund, lost dispute).
    """

    # Money rows are written on the hot path and referenced from nowhere Wagtail shows
    # usage for: keep them out of Wagtail's reference index (saves a lookup and an
    # insert per save inside the gift's transaction).
    wagtail_reference_index_ignore = True

    donation = models.ForeignKey(
        "funding.Donation",
        verbose_name=_("Donation"),
        on_delete=models.PROTECT,
        related_name="reservations",
    )
    pool = models.ForeignKey(
        MatchPool,
        verbose_name=_("Match pool"),
        on_delete=models.PROTECT,
        related_name="reservations",
    )
    amount = models.PositiveBigIntegerField(_("Match (fen)"))
    covered = models.PositiveBigIntegerField(_("Donation portion covered (fen)"))
    reversed_amount = models.PositiveBigIntegerField(_("Reversed (fen)"), default=0)
    status = models.CharField(
        _("Status"),
        max_length=20,
        choices=ReservationStatus.choices,
        default=ReservationStatus.HELD,
    )
    expires_at = models.DateTimeField(_("Expires at"))
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    # The local day whose per-day cap this match is counted in (``MatchCapUsage``).
    cap_day = models.DateField(_("Counted on day"), null=True, blank=True)

    objects = MatchReservationQuerySet.as_manager()

    class Meta:
        verbose_name = _("Match reservation")
        verbose_name_plural = _("Match reservations")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="funding_resv_positive"),
            models.CheckConstraint(
                condition=models.Q(reversed_amount__lte=models.F("amount")),
                name="funding_resv_reversed_le_amount",
            ),
            models.UniqueConstraint(
                fields=["donation", "pool"],
                condition=models.Q(status__in=["held", "confirmed"]),
                name="funding_resv_one_live_per_pool",
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_at"], name="funding_resv_expiry")]

    def __str__(self):
        return f"{self.pool} → {self.donation_id}: {self.amount}"

    @property
    def net_amount(self) -> int:
        return self.amount - self.reversed_amount


class Settlement(models.Model):
    """A committed post-campaign settlement for one call (at most one)."""

    call = models.OneToOneField(
        "projects.CallPage",
        verbose_name=_("Call"),
        on_delete=models.PROTECT,
        related_name="settlement",
    )
    committed_at = models.DateTimeField(_("Committed at"), auto_now_add=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Committed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    total = models.PositiveBigIntegerField(_("Total matched (fen)"), default=0)
    is_pro_rata = models.BooleanField(_("Pro-rata (pools were short)"), default=False)

    class Meta:
        verbose_name = _("Settlement")
        verbose_name_plural = _("Settlements")

    def __str__(self):
        return str(self.call)


class SettlementLine(RatioMixin, models.Model):
    settlement = models.ForeignKey(
        Settlement, verbose_name=_("Settlement"), on_delete=models.PROTECT, related_name="lines"
    )
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("Project"),
        on_delete=models.PROTECT,
        related_name="settlement_lines",
    )
    pool = models.ForeignKey(
        MatchPool,
        verbose_name=_("Match pool"),
        on_delete=models.PROTECT,
        related_name="settlement_lines",
    )
    eligible = models.PositiveBigIntegerField(_("Eligible raised (fen)"))
    amount = models.PositiveBigIntegerField(_("Match (fen)"))
    # What the published results explain the amount by: the project's rank in the call's
    # stored ranking (None when the rule has no tiers or the project is unranked) and the
    # ratio applied before any pro-rata scaling (the tier's, or the rule's).
    rank = models.PositiveIntegerField(_("Rank"), null=True, blank=True)
    ratio_num = models.PositiveIntegerField(_("Ratio numerator"), default=1)
    ratio_den = models.PositiveIntegerField(_("Ratio denominator"), default=1)

    class Meta:
        verbose_name = _("Settlement line")
        verbose_name_plural = _("Settlement lines")
        constraints = [
            models.UniqueConstraint(
                fields=["settlement", "project", "pool"], name="funding_settle_line_unique"
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="funding_settle_pos"),
            models.CheckConstraint(
                condition=models.Q(ratio_den__gt=0), name="funding_settle_line_ratio_den"
            ),
        ]

    def __str__(self):
        return f"{self.project_id} ← {self.pool_id}: {self.amount}"


class SettlementTier(RatioMixin, models.Model):
    """A rank band of a settlement-mode rule with its own ratio (e.g. ranks 1–10 at 1:1,
    11–20 at 1:0.5). Ranks come from the review app's stored ranking of the call. When a
    rule has tiers, a project whose rank is in no tier (or that has no rank) is not
    matched at settlement."""

    rule = models.ForeignKey(
        MatchingRule,
        verbose_name=_("Matching rule"),
        on_delete=models.CASCADE,
        related_name="rank_tiers",
    )
    rank_from = models.PositiveIntegerField(_("From rank"))
    rank_to = models.PositiveIntegerField(_("To rank (inclusive)"))
    ratio_num = models.PositiveIntegerField(_("Ratio numerator"), default=1)
    ratio_den = models.PositiveIntegerField(_("Ratio denominator"), default=1)

    class Meta:
        verbose_name = _("Settlement rank tier")
        verbose_name_plural = _("Settlement rank tiers")
        ordering = ["rule", "rank_from"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rank_from__gte=1) & models.Q(rank_to__gte=models.F("rank_from")),
                name="funding_tier_ranks_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(ratio_num__gt=0) & models.Q(ratio_den__gt=0),
                name="funding_tier_ratio_positive",
            ),
            models.UniqueConstraint(fields=["rule", "rank_from"], name="funding_tier_unique"),
        ]

    def __str__(self):
        return f"{self.rank_from}–{self.rank_to}: {self.ratio_label}"

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.rank_from and self.rank_to and self.rank_to < self.rank_from:
            raise ValidationError({"rank_to": _("The last rank must not be before the first.")})
        if not self.ratio_num or not self.ratio_den:
            raise ValidationError(_("Both ratio numbers must be positive."))
        if self.rule_id and self.rank_from and self.rank_to:
            overlap = SettlementTier.objects.filter(
                rule_id=self.rule_id,
                rank_from__lte=self.rank_to,
                rank_to__gte=self.rank_from,
            ).exclude(pk=self.pk)
            if overlap.exists():
                raise ValidationError(_("These ranks overlap another tier of the same rule."))


def ratio_label(ratio: Fraction) -> str:
    """Donation : match, e.g. ``1:1``, ``1:0.5``, ``1:2/3`` (decimals only when exact)."""
    den = rest = ratio.denominator
    for prime in (2, 5):
        while rest % prime == 0:
            rest //= prime
    if rest == 1:
        return f"1:{(Decimal(ratio.numerator) / Decimal(den)).normalize():f}"
    return f"1:{ratio.numerator}/{den}"
