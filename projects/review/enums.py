"""Choices for review, ranking and decisions. Imports nothing of ours."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AssignmentStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting conflict declaration")
    ACCEPTED = "accepted", _("No conflict declared")
    CONFLICT = "conflict", _("Recused (conflict of interest)")


# Assignments that count toward "N reviewers per application" and a reviewer's load.
ACTIVE_ASSIGNMENT_STATUSES = frozenset({AssignmentStatus.PENDING, AssignmentStatus.ACCEPTED})


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    ABSTAINED = "abstained", _("Abstained")


class Recommendation(models.TextChoices):
    FUND = "fund", _("Fund")
    FUND_WITH_CHANGES = "fund_with_changes", _("Fund with changes")
    DO_NOT_FUND = "do_not_fund", _("Do not fund")


class ScoreVisibility(models.TextChoices):
    NEVER = "never", _("Never show other reviewers' scores")
    AFTER_SUBMIT = "after_submit", _("Show others' scores after submitting one's own")


class AppealStatus(models.TextChoices):
    OPEN = "open", _("Open")
    UPHELD = "upheld", _("Upheld")
    DISMISSED = "dismissed", _("Dismissed")
    WITHDRAWN = "withdrawn", _("Withdrawn")
