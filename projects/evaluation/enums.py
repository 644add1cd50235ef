"""Choices, grade bands and transition tables for evaluations. Imports nothing of ours."""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.core.transitions import Transitions


class EvaluationKind(models.TextChoices):
    MIDTERM = "midterm", _("Mid-term evaluation")
    FINAL = "final", _("Final evaluation")


class EvaluationStatus(models.TextChoices):
    OPEN = "open", _("Open for scoring")
    FINALISED = "finalised", _("Finalised")
    PUBLISHED = "published", _("Published")


_E = EvaluationStatus
# (from, to) → the permission the move needs (portal.core.transitions). Anything not
# listed is refused.
EVALUATION_TRANSITIONS = Transitions(
    {
        (_E.OPEN, _E.FINALISED): "evaluation.manage_evaluation",
        (_E.FINALISED, _E.OPEN): "evaluation.manage_evaluation",
        (_E.FINALISED, _E.PUBLISHED): "evaluation.manage_evaluation",
    },
    states=EvaluationStatus,
    message=_("An evaluation that is “%(current)s” cannot become “%(to)s”."),
)
# A finalised or published grade counts (e.g. for the disbursement hold).
DECIDED_STATUSES = frozenset({_E.FINALISED, _E.PUBLISHED})


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")


class AdjustmentKind(models.TextChoices):
    BONUS = "bonus", _("Bonus")
    PENALTY = "penalty", _("Penalty")


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("Excellent (优)")
    GOOD = "good", _("Good (良)")
    FAIR = "fair", _("Fair (中)")
    FAIL = "fail", _("Fail (差)")


# Lower bound of each band, highest first: 优 ≥ 90, 良 80–89, 中 60–79, 差 < 60.
GRADE_BANDS: tuple[tuple[Decimal, str], ...] = (
    (Decimal(90), Grade.EXCELLENT),
    (Decimal(80), Grade.GOOD),
    (Decimal(60), Grade.FAIR),
)


def grade_for(score: Decimal) -> str:
    """The grade band of a total score out of 100 (89.99 is 良, 90 is 优)."""
    for lower, grade in GRADE_BANDS:
        if score >= lower:
            return grade
    return Grade.FAIL


class FeedbackStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting moderation")
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", _("Rejected")
