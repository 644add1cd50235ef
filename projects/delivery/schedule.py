"""The payment schedule (拨付计划) of a funded project and the tranches finance pays from it.

Programme staff set the schedule with the agreement: the granted amount and its tranches
(a share in % or an amount each, e.g. 40/40/20), each tied to an agreed milestone and,
for the later ones, released by the accepted progress report on that milestone. Finance
sees every scheduled tranche as *due*, *held* (with the reason), *overdue* (due date
passed and not paid), *upcoming*, *awaiting approval* or *paid*, and records a due one
from the schedule (amount prefilled, milestone, report and payee shown); a second
finance officer approves it as any tranche (``funding.services.spending``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from wagtail.log_actions import log

from portal.core.money import format_fen

from .enums import END_STAGES, MilestoneStatus, ReportStatus
from .models import Delivery, Milestone, PaymentTranche, ProgressReport
from .services import DeliveryError, _lock, _notify, _require_staff

MAX_TRANCHES = 12
# Disbursements that still stand: a rejected or cancelled one frees its tranche.
LIVE = ("recorded", "approved")


@dataclass
class TrancheInput:
    milestone: Milestone
    due_on: date
    percent: int | None = None
    amount: int | None = None
    needs_report: bool = True


class TrancheState:
    """What finance reads in the list (labels translated when shown)."""

    PAID = "paid"
    AWAITING = "awaiting"
    HELD = "held"
    DUE = "due"
    UPCOMING = "upcoming"

    LABELS = {
        PAID: pgettext_lazy("tranche", "Paid"),
        AWAITING: gettext_lazy("Recorded, awaiting approval"),
        HELD: pgettext_lazy("tranche", "Held"),
        DUE: pgettext_lazy("tranche", "Due"),
        UPCOMING: pgettext_lazy("tranche", "Not yet due"),
    }


def _amounts(granted: int, rows: list[TrancheInput]) -> tuple[list[int], list[str]]:
    """Each row's amount in fen: a share is ``granted × % / 100`` rounded down, the last
    share row takes the rounding remainder so that shares of 100 % add up exactly."""
    errors = []
    amounts = []
    for row in rows:
        if (row.percent is None) == (row.amount is None):
            errors.append(_("Give each tranche a share (per cent) or an amount, not both."))
            amounts.append(0)
        elif row.percent is not None:
            amounts.append(granted * row.percent // 100)
        else:
            amounts.append(row.amount)
    shares = [i for i, row in enumerate(rows) if row.percent is not None]
    if shares and not errors:
        percent_total = sum(rows[i].percent for i in shares)
        amount_total = sum(amounts[i] for i in shares)
        exact = granted * percent_total
        if exact % 100 == 0 and exact // 100 != amount_total:
            amounts[shares[-1]] += exact // 100 - amount_total
    return amounts, errors


def _errors(
    delivery: Delivery, granted: int, rows: list[TrancheInput], amounts: list[int]
) -> list[str]:
    errors = []
    if delivery.stage in END_STAGES:
        errors.append(_("This project has ended; its payment schedule can no longer change."))
    if granted <= 0:
        errors.append(_("Give the granted amount."))
    if not rows:
        errors.append(_("Give at least one tranche."))
    if len(rows) > MAX_TRANCHES:
        errors.append(_("At most %(n)d tranches.") % {"n": MAX_TRANCHES})
    for position, (row, amount) in enumerate(zip(rows, amounts, strict=True), start=1):
        if row.milestone.delivery_id != delivery.pk:
            errors.append(
                _("Tranche %(n)d: the milestone is not this project's.") % {"n": position}
            )
        elif row.milestone.status not in (MilestoneStatus.PLANNED, MilestoneStatus.COMPLETED):
            errors.append(
                _("Tranche %(n)d: “%(milestone)s” is not an agreed milestone.")
                % {"n": position, "milestone": row.milestone.title}
            )
        if amount <= 0:
            errors.append(_("Tranche %(n)d: the amount must be positive.") % {"n": position})
    total = sum(amounts)
    if granted > 0 and rows and total != granted:
        errors.append(
            _("The tranches add up to %(total)s, not the granted amount %(granted)s.")
            % {
                "total": format_fen(total, delivery.project.currency),
                "granted": format_fen(granted, delivery.project.currency),
            }
        )
    return errors


@transaction.atomic
def set_payment_schedule(
    *, delivery: Delivery, granted: int, rows: list[TrancheInput], by
) -> list[PaymentTranche]:
    """Replace ``delivery``'s payment schedule: ``granted`` (fen) and its tranches in order.

    Guarantees: under the delivery's row lock, all or nothing; the tranches add up to
    ``granted`` exactly; each milestone is an agreed (or completed) milestone of this
    delivery; refused once a tranche was recorded from the schedule and still stands
    (reject or cancel it first). Audit-logged (``delivery.schedule.set``); the
    organization's members are told after commit. Raises ``PermissionDenied`` for non-staff
    and ``DeliveryError`` listing every problem."""
    _require_staff(by)
    delivery = _lock(delivery)
    amounts, errors = _amounts(granted, rows)
    errors += _errors(delivery, granted, rows, amounts)
    if PaymentTranche.objects.filter(delivery=delivery, disbursement__status__in=LIVE).exists():
        errors.append(
            _(
                "A tranche was already recorded from this schedule; it can change only "
                "after that tranche is rejected or cancelled."
            )
        )
    if errors:
        raise DeliveryError(errors)
    PaymentTranche.objects.filter(delivery=delivery).delete()
    tranches = PaymentTranche.objects.bulk_create(
        [
            PaymentTranche(
                delivery=delivery,
                position=position,
                amount=amount,
                percent=row.percent,
                milestone=row.milestone,
                needs_report=row.needs_report,
                due_on=row.due_on,
            )
            for position, (row, amount) in enumerate(zip(rows, amounts, strict=True), start=1)
        ]
    )
    delivery.granted_amount = granted
    delivery.save(update_fields=["granted_amount", "updated_at"])
    log(
        instance=delivery,
        action="delivery.schedule.set",
        user=by,
        data={"granted": granted, "amounts": amounts},
    )
    _notify(
        delivery,
        gettext_lazy("The payment schedule of “%(project)s” was set"),
        gettext_lazy("%(count)s tranches, %(total)s in all."),
        project=delivery.project.title,
        count=len(tranches),
        total=format_fen(granted, delivery.project.currency),
    )
    return tranches


def accepted_report(tranche: PaymentTranche) -> ProgressReport | None:
    """The accepted report on the tranche's milestone (the latest), from the prefetch
    ``tranche_rows`` makes (``milestone.accepted``) or one query."""
    reports = getattr(tranche.milestone, "accepted", None)
    if reports is None:
        reports = list(
            tranche.milestone.reports.filter(status=ReportStatus.ACCEPTED).order_by(
                "-decided_at", "-pk"
            )
        )
    return reports[0] if reports else None


def is_released(tranche: PaymentTranche) -> bool:
    """Whether the tranche's condition is met: none, or an accepted report on its
    milestone (accepting the report completes the milestone)."""
    return not tranche.needs_report or accepted_report(tranche) is not None


def tranche_state(tranche: PaymentTranche, holds: list[str]) -> str:
    """Paid, awaiting approval, held (``holds`` non-empty: the reasons the project's next
    tranche is refused now), due (released) or upcoming."""
    disbursement = tranche.disbursement
    if disbursement is not None and disbursement.status == "approved":
        return TrancheState.PAID
    if disbursement is not None and disbursement.status == "recorded":
        return TrancheState.AWAITING
    if holds:
        return TrancheState.HELD
    return TrancheState.DUE if is_released(tranche) else TrancheState.UPCOMING


def is_overdue(tranche: PaymentTranche, today: date) -> bool:
    disbursement = tranche.disbursement
    paid = disbursement is not None and disbursement.status == "approved"
    return not paid and tranche.due_on < today


def tranche_rows(queryset=None) -> list[dict]:
    """Every scheduled tranche with its state, overdue flag, holds (translated reasons),
    the report that releases it and the payee: for finance's list. Five queries plus one
    per project for its holds (the guards of other apps answer per project)."""
    from funding.services.spending import disbursement_holds

    queryset = queryset if queryset is not None else PaymentTranche.objects.all()
    tranches = list(
        queryset.select_related(
            "delivery__project__organization__payee_account", "disbursement", "release_report"
        ).prefetch_related(
            Prefetch(
                "milestone",
                queryset=Milestone.objects.prefetch_related(
                    Prefetch(
                        "reports",
                        queryset=ProgressReport.objects.filter(
                            status=ReportStatus.ACCEPTED
                        ).order_by("-decided_at", "-pk"),
                        to_attr="accepted",
                    )
                ),
            )
        )
    )
    today = timezone.localdate()
    holds: dict[int, list[str]] = {}
    rows = []
    for tranche in tranches:
        project = tranche.delivery.project
        if project.pk not in holds:
            holds[project.pk] = disbursement_holds(project, 0)
        state = tranche_state(tranche, holds[project.pk])
        rows.append(
            {
                "tranche": tranche,
                "project": project,
                "state": state,
                "state_label": TrancheState.LABELS[state],
                "overdue": is_overdue(tranche, today),
                "holds": holds[project.pk] if state == TrancheState.HELD else [],
                "report": tranche.release_report or accepted_report(tranche),
                "payee": getattr(project.organization, "payee_account", None),
            }
        )
    return rows


def filter_rows(rows: list[dict], show: str) -> list[dict]:
    """``show``: ``open`` (not paid; the default), ``due``, ``held``, ``overdue``,
    ``upcoming``, ``awaiting``, ``paid`` or ``all``."""
    if show == "all":
        return rows
    if show == "overdue":
        return [r for r in rows if r["overdue"]]
    if show == "open":
        return [r for r in rows if r["state"] != TrancheState.PAID]
    return [r for r in rows if r["state"] == show]


@transaction.atomic
def record_scheduled_tranche(*, tranche: PaymentTranche, amount: int, reference: str, by):
    """Finance records a scheduled tranche (``funding.services.spending.
    record_disbursement``: finance officers only, every guard checked, a second officer
    approves it later) and ties the disbursement and the releasing report to it.

    Refused (``DeliveryError``, nothing written) when the tranche already stands
    recorded or paid, when its report has not been accepted, when the amount is above
    the scheduled amount, or when the payee's bank details are missing or not verified;
    funding's errors (``FourEyesViolation``, ``DisbursementBlocked``…) pass through.
    Audit-logged by funding (``funding.disbursement_recorded``) and here
    (``delivery.schedule.record``)."""
    from funding.services.spending import record_disbursement
    from organizations.models import PayeeAccount

    tranche = (
        PaymentTranche.objects.select_for_update(of=("self",))
        .select_related("delivery__project__organization", "milestone", "disbursement")
        .get(pk=tranche.pk)
    )
    project = tranche.delivery.project
    errors = []
    if tranche.disbursement is not None and tranche.disbursement.status in LIVE:
        errors.append(_("This tranche was already recorded."))
    report = accepted_report(tranche)
    if tranche.needs_report and report is None:
        errors.append(
            _("No accepted progress report on “%(milestone)s” yet: this tranche is not due.")
            % {"milestone": tranche.milestone.title}
        )
    if amount > tranche.amount:
        errors.append(
            _("The amount is more than the scheduled %(amount)s.")
            % {"amount": format_fen(tranche.amount, project.currency)}
        )
    payee = PayeeAccount.objects.filter(organization_id=project.organization_id).first()
    if payee is None or not payee.is_verified:
        errors.append(_("The organization's bank details are missing or not verified."))
    if errors:
        raise DeliveryError(errors)
    disbursement = record_disbursement(
        project=project,
        amount=amount,
        recorded_by=by,
        milestone=tranche.milestone.title[:300],
        reference=reference,
    )
    tranche.disbursement = disbursement
    tranche.release_report = report if tranche.needs_report else None
    tranche.save(update_fields=["disbursement", "release_report"])
    log(
        instance=tranche.delivery,
        action="delivery.schedule.record",
        user=by,
        data={"tranche": tranche.position, "disbursement": disbursement.pk, "amount": amount},
    )
    return disbursement
