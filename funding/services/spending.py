"""Disbursements (拨付, in tranches, four-eyes) and expenditures.

Other apps can veto a tranche by appending a guard to :data:`disbursement_guards` (e.g.
in their ``AppConfig.ready``): ``guard(project, amount) -> str | None``; a non-empty
string is the (translated) reason the tranche is refused. Recording and approving a
disbursement call every guard; the first refusal raises ``DisbursementBlocked`` and
nothing is written.
"""

from collections.abc import Callable
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from organizations.roles import FINANCE_OFFICER, has_role
from portal.core.money import format_fen
from projects.models import Project

from ..enums import AccountKind, DisbursementStatus, TransactionKind
from ..errors import (
    DisbursementBlocked,
    FourEyesViolation,
    FundingError,
    InsufficientFunds,
    InvalidTransition,
    SpendingExceedsDisbursed,
)
from ..models import Disbursement, Expenditure, ProjectBalance
from .balances import apply_deltas
from .ledger import account_for, balance, post_transaction, project_account

DisbursementGuard = Callable[[Project, int], str | None]

#: Registry of guards consulted before a tranche is recorded and again before it is paid.
disbursement_guards: list[DisbursementGuard] = []


def disbursement_holds(project: Project, amount: int) -> list[str]:
    """Every reason (translated) a tranche of ``amount`` for ``project`` would be refused
    now, for the approval page; empty when none. Writes nothing."""
    reasons = []
    for guard in [_project_open_guard, *disbursement_guards]:
        reason = guard(project, amount)
        if reason:
            reasons.append(str(reason))
    return reasons


def check_disbursement_guards(project: Project, amount: int) -> None:
    """Refuse a tranche for a project that is closed, terminated or whose agreement is
    not signed (``Project.accepts_money``), then call every registered guard; raise
    ``DisbursementBlocked`` with the first reason."""
    for guard in [_project_open_guard, *disbursement_guards]:
        reason = guard(project, amount)
        if reason:
            raise DisbursementBlocked(
                _("This disbursement is refused: %(reason)s") % {"reason": reason},
                code="disbursement_blocked",
            )


def _project_open_guard(project: Project, amount: int) -> str | None:
    return project.money_refusal or None


@transaction.atomic
def record_disbursement(
    *, project: Project, amount: int, recorded_by, milestone: str = "", reference: str = ""
) -> Disbursement:
    """Finance records the next tranche; it is paid (posted) only after a second approval.

    Raises ``FourEyesViolation`` for non-finance users, ``ValidationError`` for amount ≤ 0,
    ``DisbursementBlocked`` when a registered guard refuses it (nothing written).
    """
    if not has_role(recorded_by, FINANCE_OFFICER):
        raise FourEyesViolation("only finance officers record disbursements")
    if amount <= 0:
        raise ValidationError(_("The amount must be positive."))
    project = Project.objects.select_for_update().get(pk=project.pk)
    check_disbursement_guards(project, amount)
    tranche = (project.disbursements.aggregate(m=Max("tranche"))["m"] or 0) + 1
    disbursement = Disbursement.objects.create(
        project=project,
        tranche=tranche,
        amount=amount,
        currency=project.currency,
        milestone=milestone,
        reference=reference,
        recorded_by=recorded_by,
    )
    log(
        instance=disbursement,
        action="funding.disbursement_recorded",
        user=recorded_by,
        data={"amount": amount},
    )
    return disbursement


@transaction.atomic
def approve_disbursement(
    *, disbursement: Disbursement, approved_by, paid_on: date | None = None
) -> Disbursement:
    """A second finance officer approves: the tranche moves project fund → disbursed,
    with the date the bank paid it (``paid_on``, default today; not in the future).

    Locks the project row; raises ``InsufficientFunds`` if the project fund holds less,
    ``FourEyesViolation`` if the approver recorded it or is not finance staff,
    ``DisbursementBlocked`` when a registered guard refuses it now (nothing written),
    ``ValidationError`` (on ``paid_on``) for a payment date in the future.
    """
    paid_on = paid_on or timezone.localdate()
    if paid_on > timezone.localdate():
        raise FundingError(
            f"payment date {paid_on} is in the future",
            message=_("The payment date cannot be in the future."),
            field="paid_on",
        )
    disbursement = Disbursement.objects.select_for_update().get(pk=disbursement.pk)
    if disbursement.status != DisbursementStatus.RECORDED:
        raise InvalidTransition("disbursement is not awaiting approval")
    if not has_role(approved_by, FINANCE_OFFICER):
        raise FourEyesViolation("only finance officers approve disbursements")
    if approved_by.pk == disbursement.recorded_by_id:
        raise FourEyesViolation("a different finance officer must approve")
    project = Project.objects.select_for_update().get(pk=disbursement.project_id)
    check_disbursement_guards(project, disbursement.amount)
    fund = project_account(project, disbursement.currency)
    if balance(fund) < disbursement.amount:
        raise InsufficientFunds("the project fund holds less than this tranche")
    paid = account_for(kind=AccountKind.DISBURSED, currency=disbursement.currency, project=project)
    post_transaction(
        kind=TransactionKind.DISBURSEMENT,
        idempotency_key=f"disbursement:{disbursement.pk}",
        currency=disbursement.currency,
        legs=[(fund, -disbursement.amount), (paid, disbursement.amount)],
        created_by=approved_by,
        memo=f"tranche {disbursement.tranche}",
    )
    disbursement.status = DisbursementStatus.APPROVED
    disbursement.approved_by = approved_by
    disbursement.approved_at = timezone.now()
    disbursement.paid_on = paid_on
    disbursement.save(update_fields=["status", "approved_by", "approved_at", "paid_on"])
    log(
        instance=disbursement,
        action="funding.disbursement_approved",
        user=approved_by,
        data={"paid_on": paid_on.isoformat()},
    )
    return disbursement


@transaction.atomic
def refuse_disbursement(*, disbursement: Disbursement, by, reason: str, cancel: bool = False):
    """End a tranche awaiting approval without paying it, with the reason (required).

    *Reject* (``cancel=False``) is the reviewer's answer: a finance officer other than
    the recorder. *Cancel* withdraws it: any finance officer, the recorder included (a
    mistaken entry). Nothing is posted; the tranche number stays used; audit-logged
    (``funding.disbursement_rejected`` / ``funding.disbursement_cancelled``). Raises
    ``FourEyesViolation`` for non-finance users or a recorder rejecting their own entry,
    ``InvalidTransition`` unless it awaits approval, ``FundingError`` (on ``reason``)
    without a reason."""
    if not has_role(by, FINANCE_OFFICER):
        raise FourEyesViolation("only finance officers reject or cancel disbursements")
    return refuse_recorded(
        disbursement,
        by=by,
        reason=reason,
        cancel=cancel,
        no_reason=_("Give the reason for rejecting or cancelling this tranche."),
        own_entry=_(
            "You recorded this tranche: another finance officer reviews it. To withdraw "
            "it, cancel it."
        ),
        action="funding.disbursement",
    )


def refuse_recorded(record, *, by, reason: str, cancel: bool, no_reason, own_entry, action):
    """End a four-eyes entry (``FourEyesMoney``: a tranche, a leftover transfer) that
    awaits approval, with the reason: *reject* by another finance officer, *cancel* by
    any, the recorder included. Nothing is posted; audit-logged as ``<action>_rejected``
    / ``<action>_cancelled``. Callers check the role and hold the transaction. Raises
    ``FundingError`` (on ``reason``, message ``no_reason``) without a reason,
    ``InvalidTransition`` unless it awaits approval, ``FourEyesViolation`` (message
    ``own_entry``) when the recorder rejects their own entry."""
    reason = (reason or "").strip()
    if not reason:
        raise FundingError("no reason given", message=no_reason, field="reason")
    model = type(record)
    record = model.objects.select_for_update().get(pk=record.pk)
    if record.status != DisbursementStatus.RECORDED:
        raise InvalidTransition(f"{model.__name__} is not awaiting approval")
    if not cancel and by.pk == record.recorded_by_id:
        raise FourEyesViolation("the recorder cannot reject their own entry", message=own_entry)
    record.status = DisbursementStatus.CANCELLED if cancel else DisbursementStatus.REJECTED
    record.decided_by = by
    record.decision_reason = reason[:2000]
    record.save(update_fields=["status", "decided_by", "decision_reason"])
    log(
        instance=record,
        action=f"{action}_cancelled" if cancel else f"{action}_rejected",
        user=by,
        data={"reason": record.decision_reason},
    )
    return record


def spending_room(project: Project) -> int:
    """How much more the project may record as spent: approved disbursements minus
    recorded spending minus unspent money it returned as leftover (two reads; 0 for a
    project without money)."""
    from .leftover import returned_unspent

    row = ProjectBalance.objects.filter(pk=project.pk).values_list("disbursed", "spent").first()
    return max(row[0] - row[1] - returned_unspent(project.pk), 0) if row else 0


@transaction.atomic
def record_expenditure(
    *,
    project: Project,
    budget_line: str,
    amount: int,
    spent_on: date,
    recorded_by,
    description: str = "",
    receipt=None,
) -> Expenditure:
    """An organization member or finance officer records spending with its receipt.

    Spending is bounded by what was paid out: locks the project row, then refuses
    (``SpendingExceedsDisbursed``, nothing written) when the project's recorded
    spending plus ``amount`` would exceed its approved disbursements. The database
    refuses it too (``ProjectBalance``: spent ≤ disbursed).
    """
    if amount <= 0:
        raise ValidationError(_("The amount must be positive."))
    Project.objects.select_for_update().filter(pk=project.pk).first()
    room = spending_room(project)
    if amount > room:
        row = ProjectBalance.objects.filter(pk=project.pk).first()
        raise SpendingExceedsDisbursed(
            f"spending {amount} > room {room}",
            message=_(
                "This spending (%(amount)s) is more than the project can still spend: "
                "%(disbursed)s disbursed, %(spent)s already spent."
            )
            % {
                "amount": format_fen(amount, project.currency),
                "disbursed": format_fen(row.disbursed if row else 0, project.currency),
                "spent": format_fen(row.spent if row else 0, project.currency),
            },
            field="amount",
        )
    expenditure = Expenditure(
        project=project,
        budget_line=budget_line,
        amount=amount,
        currency=project.currency,
        spent_on=spent_on,
        description=description,
        recorded_by=recorded_by,
    )
    if receipt:
        expenditure.receipt.save(receipt.name, receipt, save=False)
    expenditure.save()
    apply_deltas({project.pk: {"spent": amount}}, expenditure.currency)
    log(
        instance=expenditure,
        action="funding.expenditure_recorded",
        user=recorded_by,
        data={"amount": amount},
    )
    return expenditure
