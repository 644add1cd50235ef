"""Evaluation rubrics, mid-term/final evaluations, evaluators' score sheets, residents' feedback."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel

from projects.scoring.models import (
    SCORE_DIGITS,
    AssignedWork,
    ScoreSheet,
    ScoreValue,
    VersionedRubric,
)

from .enums import (
    AdjustmentKind,
    AssessmentStatus,
    EvaluationKind,
    EvaluationStatus,
    FeedbackStatus,
    Grade,
)


def _localised(name: str, name_en: str, language: str) -> str:
    if language and language.startswith("en") and name_en:
        return name_en
    return name


class EvaluationRubric(VersionedRubric):
    """评估指标体系: dimensions with a maximum each, plus bounded bonus and penalty items.

    Versioned like the review rubric (:class:`projects.scoring.models.VersionedRubric`):
    once an evaluation uses a version, its dimensions, maxima, items and caps are frozen
    (the admin form refuses such edits); changes go into a new version."""

    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    bonus_cap = models.DecimalField(
        _("Bonus cap"),
        default=Decimal(5),
        **SCORE_DIGITS,
        help_text=_("Most points all bonus items together may add."),
    )
    penalty_cap = models.DecimalField(
        _("Penalty cap"),
        default=Decimal(10),
        **SCORE_DIGITS,
        help_text=_("Most points all penalty items together may take away."),
    )

    used_by = "evaluations"
    children = ("dimensions", "adjustment_items")

    panels = [
        FieldRowPanel([FieldPanel("name"), FieldPanel("name_en"), FieldPanel("code")]),
        FieldPanel("description"),
        FieldRowPanel([FieldPanel("bonus_cap"), FieldPanel("penalty_cap")]),
        InlinePanel("dimensions", heading=_("Dimensions"), label=_("Dimension"), min_num=1),
        InlinePanel(
            "adjustment_items",
            heading=_("Bonus and penalty items"),
            label=_("Bonus or penalty item"),
        ),
    ]

    class Meta(VersionedRubric.Meta):
        verbose_name = _("Evaluation rubric")
        verbose_name_plural = _("Evaluation rubrics")
        constraints = [
            models.UniqueConstraint(
                fields=["code", "version"], name="evaluation_rubric_code_version"
            ),
            models.CheckConstraint(
                condition=Q(bonus_cap__gte=0) & Q(penalty_cap__gte=0),
                name="evaluation_rubric_caps_not_negative",
            ),
        ]

    def display_name(self, language: str = "zh-hans") -> str:
        return _localised(self.name, self.name_en, language)

    def max_total(self) -> Decimal:
        """The sum of the dimensions' maxima (100 for the default rubric)."""
        return sum((d.max_score for d in self.dimensions.all()), Decimal(0))


class Dimension(models.Model):
    """One scored dimension, e.g. 项目管理 (max 25)."""

    rubric = ParentalKey(
        EvaluationRubric,
        on_delete=models.CASCADE,
        related_name="dimensions",
        verbose_name=pgettext_lazy("evaluation", "Rubric"),
    )
    name = models.CharField(_("Name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    description = models.TextField(_("What evaluators look at"), blank=True)
    max_score = models.DecimalField(_("Maximum score"), **SCORE_DIGITS)
    sort_order = models.PositiveIntegerField(_("Sort order"), default=0)

    panels = [
        FieldRowPanel(
            [
                FieldPanel("name"),
                FieldPanel("name_en"),
                FieldPanel("max_score"),
                FieldPanel("sort_order"),
            ]
        ),
        FieldPanel("description"),
    ]

    class Meta:
        verbose_name = _("Dimension")
        verbose_name_plural = _("Dimensions")
        ordering = ["sort_order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_score__gt=0), name="evaluation_dimension_max_positive"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.max_score.normalize():f})"

    def display_name(self, language: str = "zh-hans") -> str:
        return _localised(self.name, self.name_en, language)


class AdjustmentItem(models.Model):
    """A bonus (加分) or penalty (扣分) item with the most points it may carry alone."""

    rubric = ParentalKey(
        EvaluationRubric,
        on_delete=models.CASCADE,
        related_name="adjustment_items",
        verbose_name=pgettext_lazy("evaluation", "Rubric"),
    )
    kind = models.CharField(_("Kind"), max_length=10, choices=AdjustmentKind.choices)
    name = models.CharField(_("Name"), max_length=150)
    name_en = models.CharField(_("English name"), max_length=150, blank=True)
    max_points = models.DecimalField(_("Most points"), **SCORE_DIGITS)
    sort_order = models.PositiveIntegerField(_("Sort order"), default=0)

    panels = [
        FieldRowPanel([FieldPanel("kind"), FieldPanel("max_points"), FieldPanel("sort_order")]),
        FieldRowPanel([FieldPanel("name"), FieldPanel("name_en")]),
    ]

    class Meta:
        verbose_name = _("Bonus or penalty item")
        verbose_name_plural = _("Bonus and penalty items")
        ordering = ["kind", "sort_order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_points__gt=0), name="evaluation_item_max_positive"
            ),
        ]

    def __str__(self):
        sign = "+" if self.kind == AdjustmentKind.BONUS else "−"
        return f"{self.name} ({sign}{self.max_points.normalize():f})"

    def display_name(self, language: str = "zh-hans") -> str:
        return _localised(self.name, self.name_en, language)


class EvaluationQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=EvaluationStatus.PUBLISHED)


class Evaluation(models.Model):
    """One mid-term or final evaluation of a project: evaluators score it, staff finalise
    (score = mean of the submitted sheets) and publish it with an appeal window."""

    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.PROTECT,
        related_name="evaluations",
        verbose_name=_("Project"),
    )
    kind = models.CharField(_("Kind"), max_length=10, choices=EvaluationKind.choices)
    rubric = models.ForeignKey(
        EvaluationRubric,
        on_delete=models.PROTECT,
        related_name="evaluations",
        verbose_name=pgettext_lazy("evaluation", "Rubric version"),
    )
    status = models.CharField(
        _("Status"),
        max_length=12,
        choices=EvaluationStatus.choices,
        default=EvaluationStatus.OPEN,
        db_index=True,
    )
    score = models.DecimalField(_("Score"), null=True, blank=True, **SCORE_DIGITS)
    grade = models.CharField(_("Grade"), max_length=10, choices=Grade.choices, blank=True)
    conclusion = models.TextField(_("Published conclusion"), blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Opened by"),
    )
    created_at = models.DateTimeField(_("Opened at"), auto_now_add=True)
    finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Finalised by"),
    )
    finalised_at = models.DateTimeField(_("Finalised at"), null=True, blank=True)
    published_at = models.DateTimeField(_("Published at"), null=True, blank=True)
    appeal_ends_at = models.DateTimeField(_("Appeal window ends"), null=True, blank=True)
    hold_released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Disbursement hold released by"),
    )
    hold_released_at = models.DateTimeField(
        _("Disbursement hold released at"), null=True, blank=True
    )
    hold_release_reason = models.TextField(_("Reason for releasing the hold"), blank=True)

    objects = EvaluationQuerySet.as_manager()

    class Meta:
        verbose_name = _("Evaluation")
        verbose_name_plural = _("Evaluations")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "kind"], name="evaluation_once_per_project_and_kind"
            ),
            models.CheckConstraint(
                condition=Q(status=EvaluationStatus.OPEN) | (Q(score__isnull=False) & ~Q(grade="")),
                name="evaluation_decided_has_score_and_grade",
            ),
            models.CheckConstraint(
                condition=Q(hold_released_at__isnull=True) | ~Q(hold_release_reason=""),
                name="evaluation_hold_release_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.project} · {self.get_kind_display()}"

    @property
    def is_failed_midterm(self) -> bool:
        return self.kind == EvaluationKind.MIDTERM and self.grade == Grade.FAIL


class AssessmentQuerySet(models.QuerySet):
    def submitted(self):
        return self.filter(status=AssessmentStatus.SUBMITTED)


class Assessment(AssignedWork, ScoreSheet):
    """One evaluator's score sheet for one evaluation (the evaluator is assigned by staff)."""

    evaluation = models.ForeignKey(
        Evaluation,
        on_delete=models.CASCADE,
        related_name="assessments",
        verbose_name=_("Evaluation"),
    )
    evaluator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="evaluation_assessments",
        verbose_name=_("Evaluator"),
    )
    status = models.CharField(
        _("Status"),
        max_length=10,
        choices=AssessmentStatus.choices,
        default=AssessmentStatus.DRAFT,
        db_index=True,
    )
    base_total = models.DecimalField(_("Dimension total"), null=True, blank=True, **SCORE_DIGITS)
    bonus_total = models.DecimalField(_("Bonus"), default=Decimal(0), **SCORE_DIGITS)
    penalty_total = models.DecimalField(_("Penalty"), default=Decimal(0), **SCORE_DIGITS)
    total = models.DecimalField(
        pgettext_lazy("score", "Total"), null=True, blank=True, **SCORE_DIGITS
    )
    grade = models.CharField(_("Grade"), max_length=10, choices=Grade.choices, blank=True)
    comments = models.TextField(_("Comments"), blank=True)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("Evaluator's score sheet")
        verbose_name_plural = _("Evaluators' score sheets")
        ordering = ["evaluation_id", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "evaluator"], name="evaluation_assessment_once"
            ),
            models.CheckConstraint(
                condition=~Q(status=AssessmentStatus.SUBMITTED)
                | (Q(submitted_at__isnull=False) & Q(total__isnull=False) & ~Q(grade="")),
                name="evaluation_submitted_has_total",
            ),
            models.CheckConstraint(
                condition=Q(bonus_total__gte=0) & Q(penalty_total__gte=0),
                name="evaluation_adjustments_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.evaluator} → {self.evaluation}"


class DimensionScore(ScoreValue):
    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="scores", verbose_name=_("Score sheet")
    )
    dimension = models.ForeignKey(
        Dimension, on_delete=models.PROTECT, related_name="scores", verbose_name=_("Dimension")
    )

    item_field = "dimension"

    class Meta:
        verbose_name = _("Dimension score")
        verbose_name_plural = _("Dimension scores")
        ordering = ["dimension__sort_order", "dimension_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "dimension"], name="evaluation_score_once_per_dimension"
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="evaluation_score_not_negative"),
        ]


class Adjustment(models.Model):
    """Points an evaluator adds or takes away under one bonus/penalty item, with the reason."""

    assessment = models.ForeignKey(
        Assessment,
        on_delete=models.CASCADE,
        related_name="adjustments",
        verbose_name=_("Score sheet"),
    )
    item = models.ForeignKey(
        AdjustmentItem, on_delete=models.PROTECT, related_name="adjustments", verbose_name=_("Item")
    )
    points = models.DecimalField(_("Points"), **SCORE_DIGITS)
    reason = models.TextField(_("Reason"))

    class Meta:
        verbose_name = _("Bonus or penalty")
        verbose_name_plural = _("Bonuses and penalties")
        ordering = ["item__kind", "item__sort_order", "item_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "item"], name="evaluation_adjustment_once_per_item"
            ),
            models.CheckConstraint(
                condition=Q(points__gt=0), name="evaluation_adjustment_points_positive"
            ),
            models.CheckConstraint(
                condition=~Q(reason=""), name="evaluation_adjustment_has_reason"
            ),
        ]

    def __str__(self):
        return f"{self.item.name}: {self.points}"


class FeedbackQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=FeedbackStatus.PUBLISHED)


class ResidentFeedback(models.Model):
    """成效让群众评判: one signed-in resident's satisfaction rating and comment on a project,
    counted and shown only after staff publish it."""

    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.CASCADE,
        related_name="resident_feedback",
        verbose_name=_("Project"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="resident_feedback",
        verbose_name=_("Resident"),
    )
    rating = models.PositiveSmallIntegerField(_("Satisfaction (1–5)"))
    comment = models.TextField(_("Comment"), blank=True)
    status = models.CharField(
        _("Status"),
        max_length=10,
        choices=FeedbackStatus.choices,
        default=FeedbackStatus.PENDING,
        db_index=True,
    )
    moderation_note = models.TextField(_("Moderation note"), blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Moderated by"),
    )
    moderated_at = models.DateTimeField(_("Moderated at"), null=True, blank=True)
    created_at = models.DateTimeField(_("Submitted at"), auto_now_add=True)

    objects = FeedbackQuerySet.as_manager()

    panels = [MultiFieldPanel([FieldPanel("rating"), FieldPanel("comment")])]

    class Meta:
        verbose_name = _("Residents' feedback")
        verbose_name_plural = _("Residents' feedback")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "user"], name="evaluation_feedback_once_per_person"
            ),
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=5),
                name="evaluation_feedback_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=~Q(status=FeedbackStatus.REJECTED) | ~Q(moderation_note=""),
                name="evaluation_feedback_rejection_has_note",
            ),
        ]

    def __str__(self):
        return f"{self.project} · {self.rating}★"
