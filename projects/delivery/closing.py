"""Closing a funded project (结项): the checklist, overrides with reasons, leftover money.

A project closes from the *final evaluation* stage when every item of
:func:`closing_checklist` is met, or a programme officer closes it without an item and
writes why (each reason is stored on the :class:`~projects.delivery.models.Closure` and
in the audit log). Leftover money (结余资金) is never overridden: finance moves it first
(``funding.services.leftover``: one officer records where it goes, a second approves),
so a closed project holds nothing in its fund and nothing disbursed and unspent.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.log_actions import log

from portal.core.money import format_fen

from .enums import DeliveryStage, MilestoneStatus, ReportKind, ReportStatus
from .models import Closure, Delivery

OVERRIDABLE = ("milestones", "final_report", "final_evaluation", "variances")
ITEM_LABELS = {
    "milestones": gettext_lazy("Every milestone done"),
    "final_report": gettext_lazy("Final report accepted"),
    "final_evaluation": gettext_lazy("Final evaluation finalised"),
    "variances": gettext_lazy("Budget variances above one tenth explained"),
    "leftover": gettext_lazy("Leftover money moved (结余资金)"),
}


@dataclass
class ChecklistItem:
    key: str
    ok: bool
    detail: str = ""

    @property
    def label(self) -> str:
        return str(ITEM_LABELS[self.key])

    @property
    def overridable(self) -> bool:
        return self.key in OVERRIDABLE


def _milestones(delivery: Delivery) -> ChecklistItem:
    open_titles = list(
        delivery.milestones.filter(
            status__in=[MilestoneStatus.PLANNED, MilestoneStatus.PROPOSED]
        ).values_list("title", flat=True)
    )
    if not open_titles:
        return ChecklistItem("milestones", True)
    return ChecklistItem(
        "milestones", False, _("Not done: %(titles)s") % {"titles": "、".join(open_titles)}
    )


def _final_report(delivery: Delivery) -> ChecklistItem:
    if delivery.reports.filter(kind=ReportKind.FINAL, status=ReportStatus.ACCEPTED).exists():
        return ChecklistItem("final_report", True)
    return ChecklistItem(
        "final_report", False, _("The organization's final report is not accepted yet.")
    )


def _final_evaluation(delivery: Delivery) -> ChecklistItem:
    if delivery.final_evaluation_at:
        return ChecklistItem("final_evaluation", True, delivery.final_evaluation_summary)
    return ChecklistItem("final_evaluation", False, _("No final evaluation has been finalised."))


def _variances(delivery: Delivery) -> ChecklistItem:
    from .services import budget_vs_actual, unexplained_lines

    missing = unexplained_lines(budget_vs_actual(delivery))
    if not missing:
        return ChecklistItem("variances", True)
    return ChecklistItem(
        "variances", False, _("Unexplained: %(lines)s") % {"lines": "、".join(missing)}
    )


def _leftover(delivery: Delivery) -> ChecklistItem:
    from funding.services.leftover import leftover_of

    project = delivery.project
    left = leftover_of(project)
    if left.total == 0 and left.open is None:
        return ChecklistItem("leftover", True)
    detail = _(
        "%(undisbursed)s never disbursed and %(unspent)s disbursed but not spent: finance "
        "records where it goes and a second finance officer approves it."
    ) % {
        "undisbursed": format_fen(left.undisbursed, project.currency),
        "unspent": format_fen(left.unspent, project.currency),
    }
    if left.open is not None:
        detail = _("A leftover transfer awaits a second finance officer's approval.")
    return ChecklistItem("leftover", False, detail)


def closing_checklist(delivery: Delivery) -> list[ChecklistItem]:
    """The closing checklist of ``delivery`` now, each item met or not with what is
    missing (translated). Reads only; a fixed number of queries."""
    return [
        _milestones(delivery),
        _final_report(delivery),
        _final_evaluation(delivery),
        _variances(delivery),
        _leftover(delivery),
    ]


def closing_errors(delivery: Delivery, overrides: dict[str, str] | None = None) -> list[str]:
    """Why ``delivery`` may not close now with these ``overrides`` (item key → written
    reason); empty when it may."""
    overrides = overrides or {}
    errors = []
    for item in closing_checklist(delivery):
        if item.ok:
            continue
        if item.overridable and (overrides.get(item.key) or "").strip():
            continue
        if item.overridable:
            errors.append(
                _("“%(item)s” is missing (%(detail)s): meet it or write why you close without it.")
                % {"item": item.label, "detail": item.detail}
            )
        else:
            errors.append(
                _("“%(item)s” is missing: %(detail)s") % {"item": item.label, "detail": item.detail}
            )
    return errors


@transaction.atomic
def close_project(
    *, delivery: Delivery, by, overrides: dict[str, str] | None = None, note: str = ""
) -> Closure:
    """Close ``delivery`` (final evaluation → closed) after its checklist.

    Guarantees: every item is met or overridden with a non-blank reason (only the four
    overridable items; leftover money must have been moved), checked under the
    delivery's row lock; the stage moves through ``services.advance`` (history row,
    project *completed*, organization notified after commit); a ``Closure`` records the
    checklist and the overrides; each override is audit-logged
    (``delivery.close.override``). Raises ``PermissionDenied`` for non-staff and
    ``DeliveryError`` listing every problem; nothing is written then."""
    from .services import DeliveryError, _lock, _require_staff, advance

    _require_staff(by)
    delivery = _lock(delivery)
    overrides = {k: (v or "").strip()[:2000] for k, v in (overrides or {}).items()}
    if delivery.stage != DeliveryStage.FINAL:
        raise DeliveryError(
            _("Only a project in the final evaluation stage can be closed (now: %(stage)s).")
            % {"stage": DeliveryStage(delivery.stage).label}
        )
    checklist = closing_checklist(delivery)
    errors = closing_errors(delivery, overrides)
    if errors:
        raise DeliveryError(errors)
    used = [
        {"item": item.key, "detail": item.detail, "reason": overrides[item.key]}
        for item in checklist
        if not item.ok and item.overridable
    ]
    note = (note or "").strip()
    delivery = advance(delivery, DeliveryStage.CLOSED, by=by, note=note, _overrides=overrides)
    closure = Closure.objects.create(
        delivery=delivery,
        checklist=[{"item": i.key, "ok": i.ok, "detail": i.detail} for i in checklist],
        overrides=used,
        note=note,
        closed_by=by,
    )
    for override in used:
        log(
            instance=delivery,
            action="delivery.close.override",
            user=by,
            data=override,
        )
    return closure
