"""Stages, statuses and the transition table of funded-project delivery.

Imports nothing of ours.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.core.transitions import Transitions


class DeliveryStage(models.TextChoices):
    AGREEMENT_PENDING = "agreement_pending", _("Agreement pending")
    IN_PROGRESS = "in_progress", _("Agreement signed, in progress")
    MIDTERM = "midterm", _("Mid-term evaluation")
    FINAL = "final", _("Final evaluation")
    CLOSED = "closed", pgettext_lazy("delivery", "Closed")
    TERMINATED = "terminated", _("Terminated")


_D = DeliveryStage
# Allowed moves. Anything not listed is refused. Termination (with a reason) is possible
# from every stage that is not already an end.
# (from, to) → the permission the move needs (portal.core.transitions).
DELIVERY_TRANSITIONS = Transitions(
    {
        (_D.AGREEMENT_PENDING, _D.IN_PROGRESS): "delivery.manage_delivery",
        (_D.IN_PROGRESS, _D.MIDTERM): "delivery.manage_delivery",
        (_D.MIDTERM, _D.FINAL): "delivery.manage_delivery",
        (_D.FINAL, _D.CLOSED): "delivery.manage_delivery",
        (_D.AGREEMENT_PENDING, _D.TERMINATED): "delivery.manage_delivery",
        (_D.IN_PROGRESS, _D.TERMINATED): "delivery.manage_delivery",
        (_D.MIDTERM, _D.TERMINATED): "delivery.manage_delivery",
        (_D.FINAL, _D.TERMINATED): "delivery.manage_delivery",
    },
    states=DeliveryStage,
    message=_("A funded project cannot move from “%(current)s” to “%(to)s”."),
)
END_STAGES = frozenset({_D.CLOSED, _D.TERMINATED})
# Stages in which the organization reports progress and spends money.
ACTIVE_STAGES = frozenset({_D.IN_PROGRESS, _D.MIDTERM, _D.FINAL})
# Delivery stage → projects' ProjectStatus value kept in step (None: leave it alone).
PROJECT_STATUS_FOR_STAGE: dict[str, str | None] = {
    _D.AGREEMENT_PENDING: None,
    _D.IN_PROGRESS: "in_progress",
    _D.MIDTERM: "in_progress",
    _D.FINAL: "in_progress",
    _D.CLOSED: "completed",
    _D.TERMINATED: "terminated",
}


def allowed_next(stage: str) -> list[str]:
    """The stages ``stage`` may move to, in the order of ``DeliveryStage``."""
    return [s for s in DeliveryStage.values if (stage, s) in DELIVERY_TRANSITIONS]


class MilestoneStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed by the organization")
    PLANNED = "planned", _("Agreed")
    COMPLETED = "completed", pgettext_lazy("delivery", "Completed")
    CANCELLED = "cancelled", _("Cancelled")


class ReportKind(models.TextChoices):
    INTERIM = "interim", _("Progress report")
    FINAL = "final", _("Final report")


class ReportStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned for changes")
    RESUBMITTED = "resubmitted", _("Resubmitted")
    ACCEPTED = "accepted", _("Accepted")


AWAITING_DECISION = frozenset({ReportStatus.SUBMITTED, ReportStatus.RESUBMITTED})

# Budget lines whose actual spending differs from the budget by more than this share
# (basis points: 1000 = 10%) need an explanation before a final report is submitted.
VARIANCE_EXPLANATION_BPS = 1000
# A progress report is due this many days after the last one (or the agreement):
# projects over six months disclose at least every three months.
REPORT_INTERVAL_DAYS = 90
