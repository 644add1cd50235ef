"""Staff set and revise a funded project's budget lines, with a change history.

A delivery copies its budget lines from the approved application when it starts; a
project entered without an application (or whose application had no budget) starts with
none, and its progress report form then offers no budget line to spend on. Programme
staff set the lines here (the form is seeded from the application's budget when there is
one) and revise them later; every change is a :class:`~projects.delivery.models.
BudgetRevision` (before, after, reason, who, when) and an audit entry
(``delivery.budget.revise``), and the organization is told.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.log_actions import log

from portal.core.money import format_fen
from projects.enums import BudgetCategory, FundingSource

from .enums import END_STAGES
from .models import BudgetRevision, Delivery

MAX_LINES = 50
# No budget line above 100 million yuan: larger figures are typing mistakes.
MAX_LINE_AMOUNT = 100_000_000_00


@dataclass
class LineInput:
    line: str
    amount: int
    category: str = ""
    source: str = ""


def seed_lines(delivery: Delivery) -> list[dict]:
    """What the budget form starts from: the delivery's lines, or — when it has none —
    the approved application's budget (possibly empty)."""
    if delivery.budget_lines:
        return [dict(line) for line in delivery.budget_lines]
    from .services import _application_answers, budget_lines_from_answers

    return budget_lines_from_answers(_application_answers(delivery.project))


def _errors(delivery: Delivery, lines: list[LineInput], reason: str) -> list[str]:
    from django.db.models import Sum

    from funding.models import Expenditure

    errors = []
    if delivery.stage in END_STAGES:
        errors.append(_("This project has ended; its budget can no longer change."))
    if not reason.strip():
        errors.append(_("Say why the budget is set or changed."))
    if not lines:
        errors.append(_("Give at least one budget line."))
    if len(lines) > MAX_LINES:
        errors.append(_("At most %(n)d budget lines.") % {"n": MAX_LINES})
    seen: set[str] = set()
    for row in lines:
        name = row.line.strip()
        if not name:
            errors.append(_("Every budget line needs a name."))
        elif name in seen:
            errors.append(_("“%(line)s” is listed twice.") % {"line": name})
        seen.add(name)
        if not 0 < row.amount <= MAX_LINE_AMOUNT:
            errors.append(
                _("The amount of “%(line)s” must be more than 0 and at most %(max)s.")
                % {"line": name, "max": format_fen(MAX_LINE_AMOUNT)}
            )
        if row.category not in ("", *BudgetCategory.values):
            errors.append(_("Unknown budget category."))
        if row.source not in ("", *FundingSource.values):
            errors.append(_("Unknown funding source."))
    spent = dict(
        Expenditure.objects.filter(project_id=delivery.project_id)
        .values("budget_line")
        .annotate(t=Sum("amount"))
        .values_list("budget_line", "t")
    )
    budgeted_before = {b["line"] for b in delivery.budget_lines}
    for line in sorted(budgeted_before - seen):
        if spent.get(line):
            errors.append(
                _("“%(line)s” cannot be removed or renamed: %(amount)s was already spent on it.")
                % {"line": line, "amount": format_fen(spent[line], delivery.project.currency)}
            )
    return errors


@transaction.atomic
def revise_budget(*, delivery: Delivery, lines: list[LineInput], reason: str, by) -> Delivery:
    """Replace ``delivery``'s budget lines with ``lines`` (amounts in fen).

    Guarantees: checked under the delivery's row lock, all or nothing; a
    ``BudgetRevision`` keeps the lines before and after with the reason; the audit log
    records it (``delivery.budget.revise``); the organization's members are told after
    commit. A line with recorded spending cannot disappear (spending would lose its
    budget). Raises ``PermissionDenied`` for non-staff and ``DeliveryError`` listing
    every problem."""
    from .services import DeliveryError, _lock, _notify, _require_staff

    _require_staff(by)
    delivery = _lock(delivery)
    reason = (reason or "").strip()
    errors = _errors(delivery, lines, reason)
    if errors:
        raise DeliveryError(errors)
    before = list(delivery.budget_lines)
    after = [
        {
            "line": row.line.strip()[:200],
            "category": row.category,
            "source": row.source,
            "amount": int(row.amount),
        }
        for row in lines
    ]
    if after == before:
        raise DeliveryError(_("Nothing changed."))
    delivery.budget_lines = after
    delivery.save(update_fields=["budget_lines", "updated_at"])
    BudgetRevision.objects.create(
        delivery=delivery, before=before, after=after, reason=reason[:5000], changed_by=by
    )
    log(
        instance=delivery,
        action="delivery.budget.revise",
        user=by,
        data={
            "before": sum(int(b["amount"]) for b in before),
            "after": sum(b["amount"] for b in after),
            "lines": len(after),
            "reason": reason[:500],
        },
    )
    _notify(
        delivery,
        gettext_lazy("The budget of “%(project)s” was changed"),
        reason,
        project=delivery.project.title,
    )
    return delivery
