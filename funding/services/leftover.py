"""Leftover money (结余资金) of a project that ends, moved on with four eyes.

A project's leftover has two parts: **undisbursed** — raised and matched money still in
the project fund, never paid out — and **unspent** — paid out to the organization,
not spent (disbursed − spent − what it already returned), which the organization
transfers back. Finance sends both to a match pool, the general fund, or another
project in progress (regrant): one finance officer records a
:class:`~funding.models.LeftoverTransfer`, another approves it, and only the approval
posts one ``leftover`` ledger transaction::

    project fund      −undisbursed
    disbursed account −unspent
    destination       +(undisbursed + unspent)

``ProjectBalance`` keeps the project's history (raised, matched, disbursed, spent) as
it was; the money the organization returned lowers what it may still record as spent
(:func:`returned_unspent`, used by ``spending_room``). ``reconcile`` check 15 proves the
ledger equals the approved transfers.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from organizations.roles import FINANCE_OFFICER, has_role
from portal.core.money import format_fen
from projects.enums import ProjectStatus
from projects.models import Project

from ..enums import AccountKind, DisbursementStatus, LeftoverDestination, TransactionKind
from ..errors import FourEyesViolation, FundingError, InsufficientFunds, InvalidTransition
from ..models import LeftoverTransfer, MatchPool, ProjectBalance
from .ledger import account_for, balance, pool_accounts, post_transaction, project_account
from .spending import refuse_recorded

# A project that never started has no leftover to move (its money may still come).
LEFTOVER_STATUSES = (ProjectStatus.IN_PROGRESS, ProjectStatus.COMPLETED, ProjectStatus.TERMINATED)


@dataclass(frozen=True)
class Leftover:
    """A project's money now (fen): ``undisbursed`` in its fund, ``unspent`` with the
    organization, ``returned`` already moved on from the unspent part, ``moved`` every
    approved transfer, ``open`` the transfer awaiting approval (if any)."""

    undisbursed: int
    unspent: int
    returned: int
    moved: int
    open: LeftoverTransfer | None

    @property
    def total(self) -> int:
        return self.undisbursed + self.unspent


def returned_unspent(project_id: int) -> int:
    """Unspent money the organization returned (approved transfers). One query."""
    return (
        LeftoverTransfer.objects.filter(
            project_id=project_id, status=DisbursementStatus.APPROVED
        ).aggregate(t=Sum("unspent"))["t"]
        or 0
    )


def leftover_of(project: Project) -> Leftover:
    """What is left of ``project``'s money now (four queries; reads the fund account's
    entries, which is one index-only sum)."""
    row = ProjectBalance.objects.filter(pk=project.pk).values_list("disbursed", "spent").first()
    disbursed, spent = row or (0, 0)
    approved = LeftoverTransfer.objects.filter(
        project=project, status=DisbursementStatus.APPROVED
    ).aggregate(unspent=Sum("unspent"), undisbursed=Sum("undisbursed"))
    returned = approved["unspent"] or 0
    fund = balance(project_account(project))
    return Leftover(
        undisbursed=max(fund, 0),
        unspent=max(disbursed - spent - returned, 0),
        returned=returned,
        moved=returned + (approved["undisbursed"] or 0),
        open=LeftoverTransfer.objects.filter(
            project=project, status=DisbursementStatus.RECORDED
        ).first(),
    )


def _require_finance(user, doing: str) -> None:
    if not has_role(user, FINANCE_OFFICER):
        raise FourEyesViolation(
            f"only finance officers {doing} leftover transfers",
            message=_("Only finance officers can move leftover money."),
        )


def _check_destination(
    project: Project, destination: str, pool: MatchPool | None, target: Project | None
) -> None:
    if destination not in LeftoverDestination.values:
        raise FundingError(
            f"unknown destination {destination!r}",
            message=_("Choose where the leftover money goes."),
            field="destination",
        )
    if destination == LeftoverDestination.POOL:
        if pool is None:
            raise FundingError(
                "no pool", message=_("Choose the match pool to return it to."), field="pool"
            )
        if pool.currency != project.currency or pool.is_closed:
            raise FundingError(
                f"pool {pool.pk} closed or in {pool.currency}",
                message=_("Choose an open match pool in the project's currency."),
                field="pool",
            )
    if destination == LeftoverDestination.PROJECT:
        if target is None:
            raise FundingError(
                "no target project",
                message=_("Choose the project the money is regranted to."),
                field="target_project",
            )
        if target.pk == project.pk:
            raise FundingError(
                "regrant to itself",
                message=_("The money cannot be regranted to the same project."),
                field="target_project",
            )
        if not target.accepts_money or target.currency != project.currency:
            raise FundingError(
                f"target {target.pk} does not accept money",
                message=_(
                    "“%(title)s” cannot receive it: choose a project in progress in the same "
                    "currency."
                )
                % {"title": target.title},
                field="target_project",
            )


def _check_amounts(project: Project, leftover: Leftover, undisbursed: int, unspent: int) -> None:
    currency = project.currency
    if undisbursed < 0 or unspent < 0 or undisbursed + unspent <= 0:
        raise FundingError(
            "nothing to move",
            message=_("There is no leftover money to move."),
            field="undisbursed",
        )
    if undisbursed > leftover.undisbursed:
        raise InsufficientFunds(
            f"undisbursed {undisbursed} > fund {leftover.undisbursed}",
            message=_("The project fund holds only %(amount)s.")
            % {"amount": format_fen(leftover.undisbursed, currency)},
            field="undisbursed",
        )
    if unspent > leftover.unspent:
        raise InsufficientFunds(
            f"unspent {unspent} > {leftover.unspent}",
            message=_("The organization holds only %(amount)s disbursed and not spent.")
            % {"amount": format_fen(leftover.unspent, currency)},
            field="unspent",
        )


@transaction.atomic
def record_leftover(
    *,
    project: Project,
    destination: str,
    recorded_by,
    pool: MatchPool | None = None,
    target_project: Project | None = None,
    undisbursed: int | None = None,
    unspent: int | None = None,
    reference: str = "",
    note: str = "",
) -> LeftoverTransfer:
    """A finance officer records where a project's leftover money goes; it moves only
    when another finance officer approves it (:func:`approve_leftover`).

    Amounts default to everything left now. Guarantees: at most one transfer awaits
    approval per project (database constraint); the unspent part needs the bank
    reference of the organization's return. Raises ``FourEyesViolation`` for
    non-finance users, ``FundingError`` (with the field) for a project that never
    started, a bad destination, amounts above what is left or a missing reference;
    nothing is written then. Audit-logged."""
    _require_finance(recorded_by, "record")
    project = Project.objects.select_for_update().get(pk=project.pk)
    if project.status not in LEFTOVER_STATUSES:
        raise FundingError(
            f"project status {project.status}",
            message=_("Leftover money is moved only for a project that has started."),
        )
    leftover = leftover_of(project)
    if leftover.open is not None:
        raise InvalidTransition(
            "a transfer already awaits approval",
            message=_(
                "A leftover transfer of this project already awaits approval: approve, reject "
                "or cancel it first."
            ),
        )
    undisbursed = leftover.undisbursed if undisbursed is None else int(undisbursed)
    unspent = leftover.unspent if unspent is None else int(unspent)
    _check_amounts(project, leftover, undisbursed, unspent)
    _check_destination(project, destination, pool, target_project)
    reference = (reference or "").strip()[:100]
    if unspent and not reference:
        raise FundingError(
            "no reference",
            message=_(
                "Give the bank reference of the organization's transfer returning the "
                "unspent money."
            ),
            field="reference",
        )
    transfer = LeftoverTransfer.objects.create(
        project=project,
        undisbursed=undisbursed,
        unspent=unspent,
        currency=project.currency,
        destination=destination,
        pool=pool if destination == LeftoverDestination.POOL else None,
        target_project=target_project if destination == LeftoverDestination.PROJECT else None,
        reference=reference,
        note=(note or "").strip()[:2000],
        recorded_by=recorded_by,
    )
    log(
        instance=transfer,
        action="funding.leftover_recorded",
        user=recorded_by,
        data={
            "project": project.pk,
            "undisbursed": undisbursed,
            "unspent": unspent,
            "destination": destination,
        },
    )
    return transfer


def _destination_account(transfer: LeftoverTransfer):
    if transfer.destination == LeftoverDestination.POOL:
        return pool_accounts(transfer.pool)[0]
    if transfer.destination == LeftoverDestination.PROJECT:
        return project_account(transfer.target_project, transfer.currency)
    return account_for(kind=AccountKind.GENERAL, currency=transfer.currency)


@transaction.atomic
def approve_leftover(*, transfer: LeftoverTransfer, approved_by) -> LeftoverTransfer:
    """A second finance officer approves: one ``leftover`` ledger transaction moves the
    money (see the module docstring), idempotent per transfer.

    Locks the project rows (source first, then the regrant target, in id order) and
    checks again that the amounts are still there and the destination may take them.
    Raises ``FourEyesViolation`` (not finance, or the recorder), ``InvalidTransition``
    unless it awaits approval, ``InsufficientFunds`` / ``FundingError`` when what is
    left or the destination changed since it was recorded (reject it and record it
    again); nothing is written then. Audit-logged."""
    _require_finance(approved_by, "approve")
    transfer = LeftoverTransfer.objects.select_for_update().get(pk=transfer.pk)
    if transfer.status != DisbursementStatus.RECORDED:
        raise InvalidTransition("leftover transfer is not awaiting approval")
    if approved_by.pk == transfer.recorded_by_id:
        raise FourEyesViolation("a different finance officer must approve")
    ids = sorted({transfer.project_id, transfer.target_project_id or transfer.project_id})
    locked = {
        p.pk: p for p in Project.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    }
    project = locked[transfer.project_id]
    target = locked.get(transfer.target_project_id) if transfer.target_project_id else None
    pool = (
        MatchPool.objects.select_for_update().get(pk=transfer.pool_id) if transfer.pool_id else None
    )
    _check_amounts(project, leftover_of(project), transfer.undisbursed, transfer.unspent)
    _check_destination(project, transfer.destination, pool, target)
    legs = [(_destination_account(transfer), transfer.amount)]
    if transfer.undisbursed:
        legs.append((project_account(project, transfer.currency), -transfer.undisbursed))
    if transfer.unspent:
        paid = account_for(kind=AccountKind.DISBURSED, currency=transfer.currency, project=project)
        legs.append((paid, -transfer.unspent))
    post_transaction(
        kind=TransactionKind.LEFTOVER,
        idempotency_key=f"leftover:{transfer.pk}",
        currency=transfer.currency,
        legs=legs,
        created_by=approved_by,
        pool=pool,
        memo=f"leftover of project {project.pk} → {transfer.destination}",
    )
    transfer.status = DisbursementStatus.APPROVED
    transfer.approved_by = approved_by
    transfer.approved_at = timezone.now()
    transfer.save(update_fields=["status", "approved_by", "approved_at"])
    log(
        instance=transfer,
        action="funding.leftover_approved",
        user=approved_by,
        data={"amount": transfer.amount},
    )
    return transfer


@transaction.atomic
def refuse_leftover(
    *, transfer: LeftoverTransfer, by, reason: str, cancel: bool = False
) -> LeftoverTransfer:
    """Reject (another finance officer) or cancel (any finance officer, the recorder
    included) a transfer awaiting approval, with the reason (required). Nothing is
    posted. Raises like :func:`funding.services.spending.refuse_disbursement`."""
    _require_finance(by, "refuse")
    return refuse_recorded(
        transfer,
        by=by,
        reason=reason,
        cancel=cancel,
        no_reason=_("Give the reason for rejecting or cancelling this transfer."),
        own_entry=_(
            "You recorded this transfer: another finance officer reviews it. To "
            "withdraw it, cancel it."
        ),
        action="funding.leftover",
    )
