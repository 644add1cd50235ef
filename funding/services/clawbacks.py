"""Claw-backs: refunds that come after the money was paid out or settled (#17 item 4).

A refund always reverses the gift and its live match in the ledger (the donor gets the
money back whatever happened since). When the project had already received the money —
disbursed to it, or counted in a committed settlement — the reversal leaves something
owed, and :func:`record_claw_backs` writes it down as a :class:`~funding.models.ClawBack`
in the refund's own transaction, for finance to recover.
"""

from __future__ import annotations

import math
from fractions import Fraction

from django.db.models import Sum

from ..enums import ClawBackKind
from ..models import ClawBack, Donation, MatchingRule, ProjectBalance, SettlementLine


def record_claw_backs(*, donation: Donation, delta: int, key: str) -> list[ClawBack]:
    """After ``delta`` fen of ``donation`` were reversed (idempotency ``key``), record
    what the project now owes back. Call inside the refund's transaction, after its
    postings (the balance row is then locked by this transaction). Idempotent per key.
    Returns the claw-backs written now."""
    if donation.project_id is None or delta <= 0:
        return []
    written = []
    shortfall = _fund_shortfall(donation, key=key)
    if shortfall:
        written.append(shortfall)
    overpaid = _settlement_overpaid(donation, key=key)
    if overpaid:
        written.append(overpaid)
    return written


def _recorded_total(project_id: int, kind: str) -> int:
    """What claw-backs of this kind already record for the project (any status: a
    recovered or written-off one still explains its part of the gap)."""
    return (
        ClawBack.objects.filter(project_id=project_id, kind=kind).aggregate(t=Sum("amount"))["t"]
        or 0
    )


def _write(donation: Donation, *, kind: str, key: str, amount: int, reason: str) -> ClawBack:
    claw_back, _created = ClawBack.objects.get_or_create(
        key=f"{kind}:{donation.pk}:{key}"[:160],
        defaults={
            "kind": kind,
            "project_id": donation.project_id,
            "donation": donation,
            "amount": amount,
            "currency": donation.currency,
            "reason": reason[:300],
        },
    )
    return claw_back


def _fund_shortfall(donation: Donation, *, key: str) -> ClawBack | None:
    row = ProjectBalance.objects.filter(pk=donation.project_id).first()
    if row is None:
        return None
    below = row.disbursed - (row.raised + row.matched)
    owed = below - _recorded_total(donation.project_id, ClawBackKind.FUND_SHORTFALL)
    if owed <= 0:
        return None
    return _write(
        donation,
        kind=ClawBackKind.FUND_SHORTFALL,
        key=key,
        amount=owed,
        reason=(
            f"refund of gift #{donation.pk} after disbursement: project fund "
            f"{row.raised + row.matched - row.disbursed} below zero"
        ),
    )


def _settlement_overpaid(donation: Donation, *, key: str) -> ClawBack | None:
    """The settlement paid ratio × eligible money at commit; with the refunded money
    gone the project is entitled to less (same ratio, cap and pro-rata scale)."""
    from .settlement import _eligible_money

    lines = list(
        SettlementLine.objects.filter(project_id=donation.project_id).select_related("settlement")
    )
    if not lines:
        return None
    rule = MatchingRule.objects.filter(call_id=lines[0].settlement.call_id).first()
    if rule is None:
        return None
    paid = sum(line.amount for line in lines)
    eligible_then = lines[0].eligible
    eligible_now = _eligible_money(rule, [donation.project_id]).get(donation.project_id, 0)
    ratio = Fraction(lines[0].ratio_num, lines[0].ratio_den)

    def base(eligible: int) -> int:
        amount = math.floor(eligible * ratio)
        return min(amount, rule.cap_per_project) if rule.cap_per_project else amount

    if base(eligible_then) <= 0:
        return None
    entitled = math.floor(Fraction(base(eligible_now) * paid, base(eligible_then)))
    owed = paid - entitled - _recorded_total(donation.project_id, ClawBackKind.SETTLEMENT_OVERPAID)
    if owed <= 0:
        return None
    return _write(
        donation,
        kind=ClawBackKind.SETTLEMENT_OVERPAID,
        key=key,
        amount=owed,
        reason=(
            f"refund of gift #{donation.pk} after settlement: eligible money "
            f"{eligible_then} → {eligible_now}, match paid {paid}, entitled {entitled}"
        ),
    )
