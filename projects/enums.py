"""Choices and transition tables for projects. Imports nothing of ours."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.core.transitions import Transitions


class ProjectStatus(models.TextChoices):
    APPLYING = "applying", _("Applying")
    APPROVED = "approved", pgettext_lazy("project status", "Approved")
    IN_PROGRESS = "in_progress", pgettext_lazy("project status", "In progress")
    COMPLETED = "completed", _("Completed")
    TERMINATED = "terminated", _("Terminated")


# Money (online, offline and imported gifts, match, tranches) goes only to a project whose
# funding agreement is signed and that has not ended. The delivery app keeps
# ``Project.status`` in step with its stages: 待签协议 leaves it "approved", signing moves it
# to "in progress", closing to "completed", terminating to "terminated".
MONEY_OPEN_STATUSES = frozenset({ProjectStatus.IN_PROGRESS})
MONEY_REFUSALS = {
    ProjectStatus.APPLYING: _("the project has not been approved"),
    ProjectStatus.APPROVED: _("its funding agreement has not been signed yet"),
    ProjectStatus.COMPLETED: _("the project is closed"),
    ProjectStatus.TERMINATED: _("the project was terminated"),
}


class ProjectTier(models.TextChoices):
    FUNDED_MATCHED = "funded_matched", _("Funded and matched")
    RESERVE = "reserve", _("Reserve library")
    NOT_FUNDED = "not_funded", _("Not funded")


class CallState(models.TextChoices):
    """Derived from a call's dates and decision fields (see ``CallPage.state``)."""

    UPCOMING = "upcoming", _("Upcoming")
    OPEN = "open", _("Open for applications")
    CLOSED = "closed", _("Closed")
    UNDER_REVIEW = "under_review", _("Under review")
    PUBLIC_NOTICE = "public_notice", _("Results in public notice")
    COMPLETED = "completed", _("Completed")


class OrganizationRating(models.TextChoices):
    """社会组织评估等级; the empty value means "no minimum"."""

    NONE = "", _("No minimum")
    A1 = "1A", "1A"
    A2 = "2A", "2A"
    A3 = "3A", "3A"
    A4 = "4A", "4A"
    A5 = "5A", "5A"


def rating_rank(value: str | None) -> int:
    """``"3A"`` → 3; anything unknown or empty → 0."""
    if value and len(value) == 2 and value[0].isdigit() and value[1].upper() == "A":
        return int(value[0])
    return 0


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned for more information")
    RESUBMITTED = "resubmitted", _("Resubmitted")
    ELIGIBLE = "eligible", _("Eligible")
    INELIGIBLE = "ineligible", _("Ineligible")
    WITHDRAWN = "withdrawn", _("Withdrawn")


_S = ApplicationStatus
# (from, to) → the permission the move needs (portal.core.transitions): the applicant
# organization's owners and editors (``projects.act_as_applicant``) or programme staff
# (``projects.manage_applications``). Anything not listed is refused.
APPLICANT_MOVE = "projects.act_as_applicant"
STAFF_MOVE = "projects.manage_applications"
APPLICATION_TRANSITIONS = Transitions(
    {
        (_S.DRAFT, _S.SUBMITTED): APPLICANT_MOVE,
        (_S.DRAFT, _S.WITHDRAWN): APPLICANT_MOVE,
        (_S.SUBMITTED, _S.WITHDRAWN): APPLICANT_MOVE,
        (_S.SUBMITTED, _S.RETURNED): STAFF_MOVE,
        (_S.SUBMITTED, _S.ELIGIBLE): STAFF_MOVE,
        (_S.SUBMITTED, _S.INELIGIBLE): STAFF_MOVE,
        (_S.RETURNED, _S.RESUBMITTED): APPLICANT_MOVE,
        (_S.RETURNED, _S.WITHDRAWN): APPLICANT_MOVE,
        (_S.RETURNED, _S.INELIGIBLE): STAFF_MOVE,
        (_S.RESUBMITTED, _S.WITHDRAWN): APPLICANT_MOVE,
        (_S.RESUBMITTED, _S.RETURNED): STAFF_MOVE,
        (_S.RESUBMITTED, _S.ELIGIBLE): STAFF_MOVE,
        (_S.RESUBMITTED, _S.INELIGIBLE): STAFF_MOVE,
    },
    states=ApplicationStatus,
    message=_("An application that is “%(current)s” cannot become “%(to)s”."),
)
# Statuses in which the applicant may edit the content.
EDITABLE_STATUSES = frozenset({_S.DRAFT, _S.RETURNED})
# Statuses that count as "handed in" (staff see them in the screening queue).
SUBMITTED_STATUSES = frozenset({_S.SUBMITTED, _S.RESUBMITTED})
SCREENED_STATUSES = frozenset({_S.ELIGIBLE, _S.INELIGIBLE})


class ApplicationStep(models.TextChoices):
    BASIC = "basic", _("Basic information")
    NEEDS = "needs", _("Needs analysis")
    OBJECTIVES = "objectives", _("Objectives")
    BENEFICIARIES = "beneficiaries", _("Beneficiaries")
    ACTIVITIES = "activities", _("Activity plan")
    BUDGET = "budget", _("Budget")
    INDICATORS = "indicators", _("Indicators")
    TEAM = "team", _("Team")
    RISKS = "risks", _("Risks")
    ATTACHMENTS = "attachments", _("Attachments")


class BudgetCategory(models.TextChoices):
    PERSONNEL = "personnel", _("Personnel")
    ACTIVITIES = "activities", pgettext_lazy("budget category", "Activities")
    MATERIALS = "materials", _("Materials")
    VENUE = "venue", _("Venue and equipment")
    TRAVEL = "travel", _("Transport")
    ADMIN = "admin", pgettext_lazy("budget category", "Administration")
    OTHER = "other", _("Other")


class FundingSource(models.TextChoices):
    REQUESTED = "requested", _("Requested from this call")
    SELF = "self", _("Self-funded")


class IndicatorKind(models.TextChoices):
    OUTPUT = "output", _("Output")
    OUTCOME = "outcome", pgettext_lazy("indicator kind", "Outcome")


class NeedStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting moderation")
    PUBLISHED = "published", _("Published")
    MERGED = "merged", _("Merged into another need")
    DECLINED = "declined", pgettext_lazy("community need", "Declined")
