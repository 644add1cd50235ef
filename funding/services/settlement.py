"""Post-campaign settlement matching (Shenzhen model)."""

import math
from dataclasses import dataclass, field
from fractions import Fraction

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from wagtail.log_actions import log

from projects.enums import MONEY_OPEN_STATUSES
from projects.models import CallPage, Project

from ..enums import ONLINE_SOURCES, DonationSource, TransactionKind
from ..errors import InvalidTransition
from ..models import (
    Donation,
    MatchingRule,
    MatchPool,
    Settlement,
    SettlementLine,
    SettlementTier,
)
from ..models.matching import ratio_label
from .balances import pool_balances
from .ledger import pool_accounts, post_transaction, project_account


@dataclass
class SettlementRow:
    project: Project
    eligible: int
    uncapped: int
    amount: int
    by_pool: list[tuple[MatchPool, int]]
    ratio: Fraction = field(default_factory=lambda: Fraction(1))
    rank: int | None = None
    tier: SettlementTier | None = None

    @property
    def ratio_label(self) -> str:
        return ratio_label(self.ratio)

    @property
    def tier_label(self) -> str:
        return f"{self.tier.rank_from}–{self.tier.rank_to}" if self.tier else "—"


@dataclass
class SettlementPlan:
    call: CallPage
    rows: list[SettlementRow]
    available: int
    needed: int
    is_pro_rata: bool

    @property
    def total(self) -> int:
        return sum(r.amount for r in self.rows)


def _eligible_money(rule: MatchingRule, project_ids: list[int]) -> dict[int, int]:
    sources = list(ONLINE_SOURCES)
    if rule.count_offline:
        sources.append(DonationSource.OFFLINE)
    if rule.count_imported:
        sources.append(DonationSource.IMPORT)
    qs = Donation.objects.counted().filter(
        project_id__in=project_ids,
        currency=rule.call.currency,
        source__in=sources,
        received_at__gte=rule.campaign_starts_at,
        received_at__lt=rule.campaign_ends_at,
        amount__gte=rule.min_donation,
    )
    return dict(
        qs.values("project_id")
        .annotate(t=Sum(F("amount") - F("refunded_amount")))
        .values_list("project_id", "t")
    )


def project_ranks(call: CallPage, project_ids: list[int]) -> dict[int, int]:
    """Each project's rank in the call's stored ranking (``projects.review``
    ``RankingEntry``), through the published decision that created the project."""
    from projects.review.models import RankingEntry

    return dict(
        RankingEntry.objects.filter(
            call=call, application__review_decision__project_id__in=project_ids
        ).values_list("application__review_decision__project_id", "rank")
    )


def largest_remainder(
    amounts: list[int], available: int, needed: int, order_keys: list[tuple]
) -> list[int]:
    """Scale ``amounts`` (summing to ``needed`` > ``available``) down to sum exactly to
    ``available`` in whole fen: each gets floor(amount × available / needed), then the fen
    left over go one each to the largest remainders (ties: ``order_keys`` ascending).
    No share exceeds its amount and the total never exceeds ``available``."""
    shares = [a * available for a in amounts]
    result = [s // needed for s in shares]
    left = available - sum(result)
    order = sorted(range(len(amounts)), key=lambda i: (-(shares[i] % needed), order_keys[i]))
    for i in order[:left]:
        result[i] += 1
    return result


def plan_settlement(*, call: CallPage, lock: bool = False) -> SettlementPlan:
    """Compute each qualifying project's settlement match; writes nothing.

    match = floor(ratio × eligible money raised in the campaign window), capped per
    project. The ratio is the rule's, or — when the rule has rank tiers — the ratio of the
    tier holding the project's rank in the call's stored ranking (no tier or no rank: no
    match). If the call's pools hold less than the total, the amounts are scaled down
    pro rata by largest remainder: they sum exactly to what the pools hold, never more.
    Each project's amount is then drawn from pools in priority order. Only pools,
    projects and gifts in the call's currency take part, and only projects that may
    receive money (agreement signed, not closed or terminated). Raises
    ``InvalidTransition`` without a settlement-mode rule.
    """
    rule = MatchingRule.objects.filter(call=call).first()
    if rule is None or rule.mode != "settlement":
        raise InvalidTransition("this call has no settlement-mode matching rule")
    # One currency per settlement: the call's. A pool or project in another currency
    # takes no part (its money is never added to this total).
    # No match for a project that is closed, terminated or whose agreement is not signed
    # (``Project.accepts_money``): it takes no part, so its share stays with the others.
    projects = list(
        Project.objects.filter(
            call=call,
            tier__in=rule.qualifying_tiers,
            currency=call.currency,
            status__in=MONEY_OPEN_STATUSES,
        ).order_by("pk")
    )
    eligible = _eligible_money(rule, [p.pk for p in projects])
    tiers = list(rule.rank_tiers.order_by("rank_from"))
    ranks = project_ranks(call, [p.pk for p in projects]) if tiers else {}
    ids = list(
        MatchPool.objects.filter(Q(calls=call), is_closed=False, currency=call.currency)
        .values_list("pk", flat=True)
        .distinct()
    )
    pools_qs = MatchPool.objects.filter(pk__in=ids).order_by("pk")
    if lock:
        pools_qs = pools_qs.select_for_update(no_key=True)
    pools = sorted(pools_qs, key=lambda p: (p.priority, p.pk))
    left = {pk: row["available"] for pk, row in pool_balances(p.pk for p in pools).items()}
    available = sum(left.values())
    rows = []
    for project in projects:
        money = eligible.get(project.pk, 0)
        rank = ranks.get(project.pk)
        tier = None
        ratio = rule.ratio
        if tiers:
            tier = next((t for t in tiers if rank and t.rank_from <= rank <= t.rank_to), None)
            ratio = tier.ratio if tier else Fraction(0)
        uncapped = math.floor(money * ratio)
        amount = min(uncapped, rule.cap_per_project) if rule.cap_per_project else uncapped
        rows.append(
            SettlementRow(project, money, uncapped, amount, [], ratio=ratio, rank=rank, tier=tier)
        )
    needed = sum(r.amount for r in rows)
    pro_rata = needed > available
    if pro_rata:
        scaled = largest_remainder(
            [r.amount for r in rows],
            available,
            needed,
            [(r.rank or 10**9, r.project.pk) for r in rows],
        )
        for row, amount in zip(rows, scaled, strict=True):
            row.amount = amount
    for row in rows:
        rest = row.amount
        for pool in pools:
            take = min(rest, left[pool.pk])
            if take > 0:
                row.by_pool.append((pool, take))
                left[pool.pk] -= take
                rest -= take
    return SettlementPlan(
        call=call, rows=rows, available=available, needed=needed, is_pro_rata=pro_rata
    )


@transaction.atomic
def commit_settlement(*, call: CallPage, by=None) -> tuple[Settlement, bool]:
    """Write the settlement once: a ``Settlement`` row (unique per call), its lines and one
    SETTLEMENT ledger transaction per (project, pool). Returns ``(settlement, created)``;
    a second call returns the first settlement and writes nothing. Pools are locked while
    computing, so live activity cannot overdraw them. Audit-logged.
    """
    existing = Settlement.objects.filter(call=call).first()
    if existing:
        return existing, False
    plan = plan_settlement(call=call, lock=True)
    try:
        with transaction.atomic():
            settlement = Settlement.objects.create(
                call=call, committed_by=by, total=plan.total, is_pro_rata=plan.is_pro_rata
            )
    except IntegrityError:
        return Settlement.objects.get(call=call), False
    for row in plan.rows:
        target = project_account(row.project, call.currency)
        for pool, amount in row.by_pool:
            SettlementLine.objects.create(
                settlement=settlement,
                project=row.project,
                pool=pool,
                eligible=row.eligible,
                amount=amount,
                rank=row.rank,
                ratio_num=row.ratio.numerator,
                ratio_den=row.ratio.denominator,
            )
            available, _ = pool_accounts(pool)
            post_transaction(
                kind=TransactionKind.SETTLEMENT,
                idempotency_key=f"settlement:{call.pk}:{row.project.pk}:{pool.pk}",
                currency=pool.currency,
                legs=[(available, -amount), (target, amount)],
                pool=pool,
                created_by=by,
            )
    log(instance=settlement, action="funding.settlement", user=by, data={"total": plan.total})
    return settlement, True
