"""Rubrics, per-call review settings, assignments, reviews, rankings, decisions, appeals."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel

from projects.enums import ProjectTier
from projects.scoring.models import (
    SCORE_DIGITS,
    AssignedWork,
    ScoreSheet,
    ScoreValue,
    VersionedRubric,
)

from .appeal_models import Appeal as Appeal
from .enums import (
    ACTIVE_ASSIGNMENT_STATUSES,
    AssignmentStatus,
    Recommendation,
    ReviewStatus,
    ScoreVisibility,
)


class Rubric(VersionedRubric):
    """评分细则: a versioned set of criteria (:class:`projects.scoring.models.VersionedRubric`).

    Once any review uses a version, its weights and scales are frozen (the admin form
    refuses such edits); reviews keep the version they were scored with."""

    used_by = "reviews"
    children = ("criteria",)

    panels = [
        FieldRowPanel([FieldPanel("name"), FieldPanel("code")]),
        FieldPanel("description"),
        InlinePanel("criteria", heading=_("Criteria"), label=_("Criterion"), min_num=1),
    ]

    class Meta(VersionedRubric.Meta):
        verbose_name = _("Rubric")
        verbose_name_plural = _("Rubrics")
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="review_rubric_code_version"),
        ]

    def max_total(self) -> Decimal:
        """The top of the rubric's range (weights of the criteria counted in the total)."""
        return Decimal(sum(c.weight for c in self.criteria.all() if not c.independent))


class Criterion(models.Model):
    """One line of a rubric. A review's weighted total is
    ``Σ weight × (value − min) / (max − min)`` over the criteria that are not
    independent, so it runs from 0 to the sum of those weights (100 for the default)."""

    rubric = ParentalKey(
        Rubric, on_delete=models.CASCADE, related_name="criteria", verbose_name=_("Rubric")
    )
    name = models.CharField(_("Name"), max_length=100)
    description = models.TextField(_("Description"), blank=True)
    weight = models.PositiveIntegerField(_("Weight"))
    scale_min = models.DecimalField(_("Lowest score"), default=Decimal(0), **SCORE_DIGITS)
    scale_max = models.DecimalField(_("Highest score"), default=Decimal(10), **SCORE_DIGITS)
    scale_step = models.DecimalField(_("Step"), default=Decimal(1), **SCORE_DIGITS)
    labels = models.JSONField(
        _("Labels per value"),
        default=dict,
        blank=True,
        help_text=_('Optional, e.g. {"0": "absent", "10": "excellent"}.'),
    )
    required = models.BooleanField(_("Required"), default=True)
    independent = models.BooleanField(
        _("Independent"),
        default=False,
        help_text=_("Shown separately and kept out of the weighted total."),
    )
    is_key = models.BooleanField(
        _("Key criterion"),
        default=False,
        help_text=_("Breaks ties in the ranking (after normalised score and median)."),
    )
    sort_order = models.PositiveIntegerField(_("Sort order"), default=0)

    panels = [
        FieldRowPanel([FieldPanel("name"), FieldPanel("weight")]),
        FieldPanel("description"),
        FieldRowPanel([FieldPanel("scale_min"), FieldPanel("scale_max"), FieldPanel("scale_step")]),
        FieldPanel("labels"),
        FieldRowPanel(
            [
                FieldPanel("required"),
                FieldPanel("independent"),
                FieldPanel("is_key"),
                FieldPanel("sort_order"),
            ]
        ),
    ]

    class Meta:
        verbose_name = _("Criterion")
        verbose_name_plural = _("Criteria")
        ordering = ["sort_order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scale_max__gt=F("scale_min")),
                name="review_criterion_scale_max_above_min",
            ),
            models.CheckConstraint(
                condition=Q(scale_step__gt=0), name="review_criterion_scale_step_positive"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.weight})"

    def scale_values(self) -> list[Decimal]:
        values, value = [], self.scale_min
        while value <= self.scale_max:
            values.append(value)
            value += self.scale_step
        return values

    def label_for(self, value: Decimal) -> str:
        labels = self.labels or {}
        return labels.get(format(value.normalize(), "f"), "") or labels.get(str(value), "")


class ReviewerProfile(models.Model):
    """Where a reviewer is based, for "avoid same-district reviewers"."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="reviewer_profile",
        verbose_name=_("Reviewer"),
    )
    district = models.ForeignKey(
        "organizations.Region",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("District"),
        limit_choices_to={"level": "district"},
    )
    expertise = models.CharField(_("Expertise"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("Reviewer profile")
        verbose_name_plural = _("Reviewer profiles")

    def __str__(self):
        return str(self.user)


class ReviewSettings(models.Model):
    """How one call is reviewed and decided."""

    call = models.OneToOneField(
        "projects.CallPage",
        on_delete=models.CASCADE,
        related_name="review_settings",
        verbose_name=_("Call"),
    )
    rubric = models.ForeignKey(
        Rubric, on_delete=models.PROTECT, related_name="settings", verbose_name=_("Rubric")
    )
    reviewers_per_application = models.PositiveSmallIntegerField(
        _("Reviewers per application"), default=3
    )
    blind = models.BooleanField(
        _("Blind review"),
        default=False,
        help_text=_("Hide organization names, people's names and attachments from reviewers."),
    )
    avoid_same_district = models.BooleanField(
        _("Avoid reviewers from the same district"), default=False
    )
    score_visibility = models.CharField(
        _("Other reviewers' scores"),
        max_length=20,
        choices=ScoreVisibility.choices,
        default=ScoreVisibility.NEVER,
    )
    deadline = models.DateTimeField(_("Review deadline"), null=True, blank=True)
    disagreement_threshold = models.DecimalField(
        _("Disagreement threshold"),
        default=Decimal(20),
        **SCORE_DIGITS,
        help_text=_(
            "Flag an application when its highest and lowest review totals differ "
            "by more than this many points."
        ),
    )
    drop_extremes = models.BooleanField(
        _("Drop highest and lowest review"),
        default=False,
        help_text=_("Only for applications with at least five reviews."),
    )
    funded_count = models.PositiveIntegerField(_("Funded and matched (top N)"), default=0)
    reserve_count = models.PositiveIntegerField(_("Reserve library (next M)"), default=0)
    funded_min_score = models.DecimalField(
        _("Minimum score for funding"),
        default=Decimal(60),
        **SCORE_DIGITS,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_(
            "Points out of 100 (the normalised score on a 100-point scale). An application "
            "below it is never funded, whatever its rank."
        ),
    )
    reserve_min_score = models.DecimalField(
        _("Minimum score for the reserve library"),
        default=Decimal(60),
        **SCORE_DIGITS,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_(
            "Points out of 100. An application below it never enters the reserve library "
            "(项目库), whatever its rank."
        ),
    )
    appeal_days = models.PositiveSmallIntegerField(_("Appeal window (days)"), default=7)
    ranked_at = models.DateTimeField(_("Ranked at"), null=True, blank=True, editable=False)
    notice_version = models.PositiveIntegerField(
        _("Public notice version"), default=0, editable=False
    )

    panels = [
        FieldPanel("call"),
        FieldPanel("rubric"),
        MultiFieldPanel(
            [
                FieldPanel("reviewers_per_application"),
                FieldPanel("avoid_same_district"),
                FieldPanel("blind"),
                FieldPanel("score_visibility"),
                FieldPanel("deadline"),
            ],
            heading=_("Review"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("disagreement_threshold"),
                FieldPanel("drop_extremes"),
                FieldPanel("funded_count"),
                FieldPanel("reserve_count"),
                FieldRowPanel([FieldPanel("funded_min_score"), FieldPanel("reserve_min_score")]),
                FieldPanel("appeal_days"),
            ],
            heading=_("Ranking and decisions"),
        ),
    ]

    class Meta:
        verbose_name = _("Review settings")
        verbose_name_plural = _("Review settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(reviewers_per_application__gte=1),
                name="review_settings_at_least_one_reviewer",
            ),
            models.CheckConstraint(
                condition=Q(funded_min_score__gte=0)
                & Q(funded_min_score__lte=100)
                & Q(reserve_min_score__gte=0)
                & Q(reserve_min_score__lte=100),
                name="review_settings_min_scores_0_to_100",
            ),
        ]

    def __str__(self):
        return str(self.call)


class ConflictOfInterest(models.Model):
    """A reviewer's declared conflict with an organization (回避): never assigned again."""

    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="review_conflicts",
        verbose_name=_("Reviewer"),
    )
    organization = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.CASCADE,
        related_name="review_conflicts",
        verbose_name=_("Organization"),
    )
    reason = models.TextField(_("Reason"))
    created_at = models.DateTimeField(_("Declared at"), auto_now_add=True)

    # A reviewer's own data export must not link them to an applicant in a blind call.
    personal_export_withheld = ("organization_id",)

    class Meta:
        verbose_name = _("Conflict of interest")
        verbose_name_plural = _("Conflicts of interest")
        constraints = [
            models.UniqueConstraint(
                fields=["reviewer", "organization"], name="review_conflict_once_per_org"
            ),
        ]

    def __str__(self):
        return f"{self.reviewer} ↔ {self.organization}"


class RosterDeclaration(models.Model):
    """A reviewer's conflict declaration against a blind call's roster of applicant
    organizations (made once, before any proposal is shown; extended when organizations
    join the roster later). ``organizations`` holds the ids the reviewer declared on."""

    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="roster_declarations",
        verbose_name=_("Reviewer"),
    )
    call = models.ForeignKey(
        "projects.CallPage",
        on_delete=models.CASCADE,
        related_name="roster_declarations",
        verbose_name=_("Call"),
    )
    organizations = models.JSONField(_("Organizations declared on"), default=list)
    declared_at = models.DateTimeField(_("Declared at"))

    # The person's own data export leaves out which organizations they were shown.
    personal_export_withheld = ("organizations",)

    class Meta:
        verbose_name = _("Roster declaration")
        verbose_name_plural = _("Roster declarations")
        constraints = [
            models.UniqueConstraint(fields=["reviewer", "call"], name="review_roster_once"),
        ]

    def __str__(self):
        return f"{self.reviewer} · {self.call}"


class AssignmentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status__in=ACTIVE_ASSIGNMENT_STATUSES)


class Assignment(AssignedWork):
    """A reviewer asked to review one application. A recused assignment stays (with its
    reason) so the same reviewer is never assigned to it again."""

    application = models.ForeignKey(
        "projects.Application",
        on_delete=models.CASCADE,
        related_name="review_assignments",
        verbose_name=_("Application"),
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="review_assignments",
        verbose_name=_("Reviewer"),
    )
    status = models.CharField(
        _("Status"),
        max_length=20,
        choices=AssignmentStatus.choices,
        default=AssignmentStatus.PENDING,
        db_index=True,
    )
    conflict_reason = models.TextField(_("Conflict reason"), blank=True)
    declared_at = models.DateTimeField(_("Declared at"), null=True, blank=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("Review assignment")
        verbose_name_plural = _("Review assignments")
        ordering = ["application_id", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "reviewer"], name="review_assignment_once"
            ),
            models.CheckConstraint(
                condition=~Q(status=AssignmentStatus.CONFLICT) | ~Q(conflict_reason=""),
                name="review_conflict_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.reviewer} → {self.application}"


class Review(ScoreSheet):
    """One reviewer's scores for one application, with the rubric version used."""

    assignment = models.OneToOneField(
        Assignment, on_delete=models.CASCADE, related_name="review", verbose_name=_("Assignment")
    )
    rubric = models.ForeignKey(
        Rubric, on_delete=models.PROTECT, related_name="reviews", verbose_name=_("Rubric version")
    )
    status = models.CharField(
        _("Status"),
        max_length=20,
        choices=ReviewStatus.choices,
        default=ReviewStatus.DRAFT,
        db_index=True,
    )
    total = models.DecimalField(_("Weighted total"), null=True, blank=True, **SCORE_DIGITS)
    strengths = models.TextField(_("Strengths"), blank=True)
    weaknesses = models.TextField(_("Weaknesses"), blank=True)
    comments = models.TextField(_("Comments"), blank=True)
    recommendation = models.CharField(
        _("Recommendation"), max_length=20, blank=True, choices=Recommendation.choices
    )
    abstain_reason = models.TextField(_("Reason for abstaining"), blank=True)
    reopened_at = models.DateTimeField(_("Reopened at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Review")
        verbose_name_plural = _("Reviews")
        ordering = ["-updated_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=ReviewStatus.SUBMITTED)
                | (Q(submitted_at__isnull=False) & Q(total__isnull=False)),
                name="review_submitted_has_total",
            ),
            models.CheckConstraint(
                condition=~Q(status=ReviewStatus.ABSTAINED) | ~Q(abstain_reason=""),
                name="review_abstain_has_reason",
            ),
        ]

    def __str__(self):
        return str(self.assignment)


class Score(ScoreValue):
    review = models.ForeignKey(
        Review, on_delete=models.CASCADE, related_name="scores", verbose_name=_("Review")
    )
    criterion = models.ForeignKey(
        Criterion, on_delete=models.PROTECT, related_name="scores", verbose_name=_("Criterion")
    )

    item_field = "criterion"

    class Meta:
        verbose_name = _("Score")
        verbose_name_plural = _("Scores")
        constraints = [
            models.UniqueConstraint(
                fields=["review", "criterion"], name="review_score_once_per_criterion"
            ),
        ]


class RankingEntry(models.Model):
    """One application's place in its call's latest ranking (replaced by ``rank_call``)."""

    call = models.ForeignKey(
        "projects.CallPage",
        on_delete=models.CASCADE,
        related_name="ranking",
        verbose_name=_("Call"),
    )
    application = models.OneToOneField(
        "projects.Application",
        on_delete=models.CASCADE,
        related_name="ranking_entry",
        verbose_name=_("Application"),
    )
    rank = models.PositiveIntegerField(_("Rank"))
    n_reviews = models.PositiveIntegerField(_("Reviews"))
    mean = models.DecimalField(_("Mean"), max_digits=9, decimal_places=4)
    median = models.DecimalField(_("Median"), max_digits=9, decimal_places=4)
    normalised = models.DecimalField(_("Normalised score"), max_digits=9, decimal_places=4)
    key_score = models.DecimalField(
        _("Key criterion mean"), max_digits=9, decimal_places=4, null=True, blank=True
    )
    spread = models.DecimalField(_("Spread (highest − lowest)"), max_digits=9, decimal_places=4)
    disagreement = models.BooleanField(_("Reviewers disagree"), default=False)
    first_submitted_at = models.DateTimeField(_("Application submitted at"), null=True, blank=True)
    tier = models.CharField(_("Tier"), max_length=20, choices=ProjectTier.choices)
    computed_at = models.DateTimeField(_("Computed at"), auto_now=True)

    class Meta:
        verbose_name = _("Ranking entry")
        verbose_name_plural = _("Ranking")
        ordering = ["call_id", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["call", "rank"], name="review_rank_unique_in_call"),
        ]

    def __str__(self):
        return f"#{self.rank} {self.application}"


class TieDecision(models.Model):
    """The review committee's order for applications the ranking scored alike (same
    normalised score) but would put in different tiers — a tie at the funding or the
    reserve cut. ``applications`` lists their ids in the committee's order; the ranking
    applies it whenever the same applications tie again."""

    call = models.ForeignKey(
        "projects.CallPage",
        on_delete=models.CASCADE,
        related_name="tie_decisions",
        verbose_name=_("Call"),
    )
    applications = models.JSONField(_("Applications in the committee's order"))
    reason = models.TextField(_("Committee's reasons"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Recorded by"),
    )
    decided_at = models.DateTimeField(_("Decided at"))

    class Meta:
        verbose_name = _("Tie decision")
        verbose_name_plural = _("Tie decisions")
        ordering = ["call_id", "-decided_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="review_tie_decision_has_reason"),
        ]

    def __str__(self):
        return f"{self.call} · {self.applications}"


class Decision(models.Model):
    """The published outcome for one application; links to the funded project record.

    ``rank`` is empty for an application published as "not ranked — insufficient
    reviews" (publication overridden by a programme officer); such a decision is never
    funded (database constraint)."""

    application = models.OneToOneField(
        "projects.Application",
        on_delete=models.CASCADE,
        related_name="review_decision",
        verbose_name=_("Application"),
    )
    call = models.ForeignKey(
        "projects.CallPage",
        on_delete=models.CASCADE,
        related_name="review_decisions",
        verbose_name=_("Call"),
    )
    rank = models.PositiveIntegerField(_("Rank"), null=True, blank=True)
    normalised = models.DecimalField(
        _("Normalised score"), max_digits=9, decimal_places=4, null=True, blank=True
    )
    tier = models.CharField(_("Tier"), max_length=20, choices=ProjectTier.choices)
    notice_version = models.PositiveIntegerField(_("Public notice version"), default=1)
    project = models.OneToOneField(
        "projects.Project",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="review_decision",
        verbose_name=_("Project"),
    )
    published_at = models.DateTimeField(pgettext_lazy("public notice", "Published at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Decided by"),
    )

    class Meta:
        verbose_name = pgettext_lazy("funding decision", "Decision")
        verbose_name_plural = _("Decisions")
        ordering = ["call_id", F("rank").asc(nulls_last=True), "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["call", "rank"],
                condition=Q(rank__isnull=False),
                name="review_decision_rank_unique_in_call",
            ),
            models.CheckConstraint(
                condition=Q(rank__isnull=False) | Q(tier=ProjectTier.NOT_FUNDED),
                name="review_decision_unranked_not_funded",
            ),
        ]

    def __str__(self):
        if self.rank is None:
            return f"{self.application} · {_('Not ranked — insufficient reviews')}"
        return f"#{self.rank} {self.application} · {self.get_tier_display()}"

    @property
    def is_ranked(self) -> bool:
        return self.rank is not None
