"""Live match reservation, confirmation, release and reversal.

Concurrency: a pool's balances are running totals (``PoolBalance``) changed by
conditional ``UPDATE … WHERE available >= x`` in the posting's transaction, so no fen
is spent twice whatever the interleaving (a refused update rolls the reservation back).
Reservations still take the pools' rows ``FOR NO KEY UPDATE`` in primary-key order
(after the call's rule and the project row) so a reservation plans against figures no
one else is changing and the global lock order (docs/funding.md) holds; ``NO KEY`` so
the foreign-key checks of concurrent postings (``FOR KEY SHARE`` at commit) never wait
for it. The caps read ``MatchCapUsage`` rows by key. Every read on this path is an index
lookup of a bounded set of rows. Confirmation and expiry of the same donation both lock
the donation row first, so they cannot interleave.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from projects.models import Project

from ..enums import AccountKind, DonationSource, MatchingMode, ReservationStatus, TransactionKind
from ..models import Donation, MatchingRule, MatchPool, MatchReservation
from . import batching
from .balances import pool_balances
from .caps import add_usage, day_key, donor_key, local_day, project_key, reservation_keys, usage
from .guards import MATCH, refuse_closed_project
from .ledger import pool_accounts, post_transaction, project_account

UNCAPPED = 10**18


def reservation_ttl() -> timedelta:
    return timedelta(minutes=getattr(settings, "FUNDING_RESERVATION_MINUTES", 30))


@dataclass
class PlannedMatch:
    pool: MatchPool
    amount: int
    covered: int


def rule_for(project: Project | None) -> MatchingRule | None:
    if project is None or not project.call_id:
        return None
    batch = batching.current()
    if batch is not None and project.call_id in batch.rules:
        return batch.rules[project.call_id]  # locked by the batch's lock pass
    return MatchingRule.objects.filter(call_id=project.call_id).first()


def is_eligible(
    *,
    rule: MatchingRule | None,
    donation: Donation,
    project: Project | None,
    at: datetime,
    mode: str = MatchingMode.LIVE,
) -> bool:
    """Whether a donation may be matched under ``rule`` at time ``at``."""
    if rule is None or project is None or rule.mode != mode:
        return False
    if project.tier not in (rule.qualifying_tiers or []):
        return False
    if not rule.in_campaign(at) or donation.amount < rule.min_donation:
        return False
    if donation.flagged:
        return False
    if donation.source == DonationSource.OFFLINE and not rule.count_offline:
        return False
    return not (donation.source == DonationSource.IMPORT and not rule.count_imported)


def lock_for_counting(*, projects, at: datetime) -> None:
    """Take, in the global lock order, every row that counting gifts for ``projects``
    may lock: their calls' matching rules, the projects, then every pool that may
    match them — each group by id. Used by paths that count many gifts in one
    transaction (platform import), so that no lock is taken out of order later.
    Call inside the transaction."""
    projects = [p for p in projects if p is not None]
    if not projects:
        return
    call_ids = sorted({p.call_id for p in projects if p.call_id})
    rules = list(
        MatchingRule.objects.filter(call_id__in=call_ids).order_by("pk").select_for_update()
    )
    project_ids = sorted({p.pk for p in projects})
    list(Project.objects.filter(pk__in=project_ids).order_by("pk").select_for_update())
    pools_of_project = {}
    for project in projects:
        pools_of_project[project.pk] = list(
            MatchPool.objects.for_project(project).values_list("pk", flat=True)
        )
    pool_ids = {pk for ids in pools_of_project.values() for pk in ids}
    pools = list(
        MatchPool.objects.filter(pk__in=sorted(pool_ids))
        .order_by("pk")
        .select_for_update(no_key=True)
    )
    batch = batching.current()
    if batch is not None:  # an inbox batch keeps what it locked for its gifts
        batch.project_ids.update(project_ids)
        batch.rules.update(dict.fromkeys(call_ids))
        batch.rules.update({r.call_id: r for r in rules})
        batch.pools.update({p.pk: p for p in pools})
        batch.pools_of_project.update(pools_of_project)


def _remaining_target(
    *, rule: MatchingRule, donation: Donation, project: Project, at: datetime
) -> int:
    """The match this gift may still get under the rule's caps. Reads at most three
    ``MatchCapUsage`` rows by key (the callers hold no live match for this gift yet)."""
    target = math.floor(donation.amount * rule.ratio)
    if rule.cap_per_donation:
        target = min(target, rule.cap_per_donation)
    caps = {}
    if rule.cap_per_project:
        caps[project_key(project.pk)] = rule.cap_per_project
    if rule.cap_per_donor_project and donation.donor_email:
        caps[donor_key(project.pk, donation.donor_email)] = rule.cap_per_donor_project
    if rule.cap_per_day:
        # The gift's day is the day it was received (an imported or offline gift
        # dated yesterday counts against yesterday's cap), or, while it is still in
        # checkout, the day the hold was taken.
        caps[day_key(rule.call_id, local_day(at))] = rule.cap_per_day
    for key, used in usage(list(caps)).items():
        target = min(target, caps[key] - used)
    return max(target, 0)


def _plan(
    *, pools: list[MatchPool], available: dict[int, int], target: int, donation_amount: int
) -> list[PlannedMatch]:
    """Walk pools in priority order; each matches the uncovered part of the gift at its
    own ratio, limited by its balance and what is left of the target."""
    plan = []
    uncovered = donation_amount
    for pool in sorted(pools, key=lambda p: (p.priority, p.pk)):
        if target <= 0 or uncovered <= 0:
            break
        amount = min(available.get(pool.pk, 0), math.floor(uncovered * pool.ratio), target)
        if amount <= 0:
            continue
        covered = min(uncovered, math.ceil(amount * pool.ratio_den / pool.ratio_num))
        plan.append(PlannedMatch(pool=pool, amount=amount, covered=covered))
        uncovered -= covered
        target -= amount
    return plan


def _candidate_pool_ids(project: Project, currency: str, at: datetime) -> list[int]:
    batch = batching.current()
    if batch is not None and project.pk in batch.pools_of_project:
        # The batch's lock pass read (and locked) the project's pools.
        pools = (batch.pools[pk] for pk in batch.pools_of_project[project.pk])
        return [p.pk for p in pools if p.is_active(at) and p.currency == currency]
    return list(
        MatchPool.objects.active(at)
        .for_project(project)
        .filter(currency=currency)
        .values_list("pk", flat=True)
    )


def quote_match(*, donation: Donation, at: datetime | None = None) -> int:
    """What ``reserve_match`` would reserve right now for this (unsaved) donation.

    Reads only; takes no locks, so the figure is advice shown before paying.
    """
    at = at or timezone.now()
    project = donation.project
    rule = rule_for(project)
    if not is_eligible(rule=rule, donation=donation, project=project, at=at):
        return 0
    pools = list(
        MatchPool.objects.filter(pk__in=_candidate_pool_ids(project, donation.currency, at))
    )
    rows = pool_balances(p.pk for p in pools)
    available = {pk: row["available"] for pk, row in rows.items()}
    target = _remaining_target(rule=rule, donation=donation, project=project, at=at)
    return sum(
        p.amount
        for p in _plan(
            pools=pools, available=available, target=target, donation_amount=donation.amount
        )
    )


def _locked_pools(ids: list[int], batch) -> list[MatchPool]:
    """The pools, locked ``FOR NO KEY UPDATE`` in id order (from the batch's lock pass
    when ``batch`` holds them)."""
    if batch is not None:
        return [batch.pools[pk] for pk in sorted(ids)]
    return list(MatchPool.objects.filter(pk__in=ids).order_by("pk").select_for_update(no_key=True))


@transaction.atomic(savepoint=False)
def reserve_match(
    *,
    donation: Donation,
    at: datetime | None = None,
    expires_at: datetime | None = None,
    unmatched: bool = False,
) -> list[MatchReservation]:
    """Hold match for ``donation`` from eligible pools in priority order.

    Guarantees: atomic across pools; partial when pools run low; a pool's available
    balance never goes below zero under any concurrency (the running balance is taken
    by a conditional update; ``PoolOverdrawn`` rolls everything back if it would). Writes
    one HELD reservation and one MATCH_RESERVE ledger transaction per pool used and
    counts the match in the caps' usage rows. Returns the reservations (empty when
    nothing qualifies or nothing is left). Does nothing if the donation already holds
    match. Queries: a constant number per pool used, none scanning history.
    Raises ``ProjectClosedToMoney`` for a project that is closed, terminated or not yet
    agreed (nothing held). ``unmatched``: the caller holds the gift's row lock and has
    just seen it hold no live match (the check is not repeated).
    """
    at = at or timezone.now()
    project = donation.project
    refuse_closed_project(project, action=MATCH)
    rule = rule_for(project)
    if not is_eligible(rule=rule, donation=donation, project=project, at=at):
        return []
    batch = batching.current()
    locked = batch is not None and project.pk in batch.project_ids  # rule, project, pools
    if not locked:
        if rule.cap_per_day:
            MatchingRule.objects.select_for_update().get(pk=rule.pk)
        Project.objects.select_for_update().filter(pk=project.pk).first()
    if not unmatched and MatchReservation.objects.live().filter(donation=donation).exists():
        return list(MatchReservation.objects.live().filter(donation=donation))
    ids = _candidate_pool_ids(project, donation.currency, at)
    pools = _locked_pools(ids, batch if locked else None)
    available = {pk: row["available"] for pk, row in pool_balances(ids).items()}
    target = _remaining_target(rule=rule, donation=donation, project=project, at=at)
    plan = _plan(pools=pools, available=available, target=target, donation_amount=donation.amount)
    if not plan:
        return []
    expires_at = expires_at or at + reservation_ttl()
    day = local_day(donation.received_at or timezone.now())
    reservations = []
    for item in plan:
        reservation = MatchReservation.objects.create(
            donation=donation,
            pool=item.pool,
            amount=item.amount,
            covered=item.covered,
            expires_at=expires_at,
            cap_day=day,
        )
        avail_acc, reserved_acc = pool_accounts(item.pool)
        post_transaction(
            kind=TransactionKind.MATCH_RESERVE,
            idempotency_key=f"reserve:{reservation.pk}",
            currency=item.pool.currency,
            legs=[(avail_acc, -item.amount), (reserved_acc, item.amount)],
            donation=donation,
            pool=item.pool,
            reservation=reservation,
        )
        reservations.append(reservation)
    keys = reservation_keys(project=project, email=donation.donor_email, day=day)
    add_usage(dict.fromkeys(keys, sum(r.amount for r in reservations)))
    return reservations


def _release(reservation: MatchReservation, donation: Donation) -> None:
    """Return a HELD reservation to its pool and take it off the caps' usage.
    ``donation`` is the reservation's gift with its project loaded."""
    avail_acc, reserved_acc = pool_accounts(reservation.pool)
    _txn, created = post_transaction(
        kind=TransactionKind.MATCH_RELEASE,
        idempotency_key=f"release:{reservation.pk}",
        currency=reservation.pool.currency,
        legs=[(reserved_acc, -reservation.amount), (avail_acc, reservation.amount)],
        donation=reservation.donation,
        pool=reservation.pool,
        reservation=reservation,
    )
    reservation.status = ReservationStatus.RELEASED
    reservation.save(update_fields=["status"])
    if created:
        keys = reservation_keys(
            project=donation.project, email=donation.donor_email, day=reservation.cap_day
        )
        add_usage(dict.fromkeys(keys, -reservation.amount))


def _lock_donation(donation: Donation, *, skip_locked: bool = False) -> Donation | None:
    return (
        Donation.objects.select_for_update(skip_locked=skip_locked, of=("self",))
        .select_related("project")
        .filter(pk=donation.pk)
        .first()
    )


@transaction.atomic(savepoint=False)
def release_match(*, donation: Donation) -> int:
    """Release every HELD reservation of ``donation`` back to its pool.

    Locks the donation row first (so it cannot interleave with confirmation).
    Returns the amount released; 0 if nothing was held.
    """
    donation = _lock_donation(donation)
    released = 0
    held = MatchReservation.objects.select_for_update(of=("self",)).select_related("pool")
    for reservation in held.filter(donation=donation, status=ReservationStatus.HELD).order_by(
        "pool_id"
    ):
        _release(reservation, donation)
        released += reservation.amount
    return released


@transaction.atomic(savepoint=False)
def confirm_match(*, donation: Donation, at: datetime | None = None) -> int:
    """Turn the donation's HELD reservations into granted match (pool reserved → project).

    If the reservations already expired (or the gift never had any, e.g. offline), a
    fresh reservation is attempted first, so a late payment still gets whatever match is
    left. Locks the donation row first. Returns the match granted by this call.
    Idempotent: confirmed reservations are not confirmed twice.
    """
    return confirm_locked(donation=_lock_donation(donation), at=at or timezone.now())


def confirm_locked(*, donation: Donation, at: datetime) -> int:
    """:func:`confirm_match` for a gift whose row lock the caller holds (read with its
    project under that lock)."""
    live = list(
        MatchReservation.objects.live()
        .select_for_update(of=("self",))
        .select_related("pool")
        .filter(donation=donation)
        .order_by("pk")
    )
    held = [r for r in live if r.status == ReservationStatus.HELD]
    if (
        not live
        # A payment that arrives for a project closed meanwhile still counts (the money
        # came), but it takes no fresh match.
        and (donation.project is None or donation.project.accepts_money)
    ):
        held = reserve_match(donation=donation, at=at, unmatched=True)
    granted = 0
    target = project_account(donation.project, donation.currency)
    received_day = local_day(donation.received_at) if donation.received_at else None
    moves: dict[str, int] = {}
    for reservation in held:
        _, reserved_acc = pool_accounts(reservation.pool)
        post_transaction(
            kind=TransactionKind.MATCH_CONFIRM,
            idempotency_key=f"confirm:{reservation.pk}",
            currency=reservation.pool.currency,
            legs=[(reserved_acc, -reservation.amount), (target, reservation.amount)],
            donation=donation,
            pool=reservation.pool,
            reservation=reservation,
        )
        reservation.status = ReservationStatus.CONFIRMED
        fields = ["status"]
        if received_day is not None and reservation.cap_day != received_day:
            # The hold was taken on another day than the gift arrived: it now counts
            # against the day it was received.
            for key, sign in (
                *((k, -1) for k in _day_keys(donation, reservation.cap_day)),
                *((k, 1) for k in _day_keys(donation, received_day)),
            ):
                moves[key] = moves.get(key, 0) + sign * reservation.net_amount
            reservation.cap_day = received_day
            fields.append("cap_day")
        reservation.save(update_fields=fields)
        granted += reservation.amount
    if moves:
        add_usage(moves)
    return granted


def _day_keys(donation: Donation, day) -> list[str]:
    project = donation.project
    if project is None or not project.call_id or day is None:
        return []
    return [day_key(project.call_id, day)]


@transaction.atomic(savepoint=False)
def reverse_match(*, donation: Donation, remaining_amount: int, key: str) -> int:
    """Cut the donation's granted match down to what ``remaining_amount`` of the gift
    would have earned, returning the difference to the pools (lowest priority first).

    ``key`` makes the call idempotent (e.g. the cumulative refunded amount).
    Returns the amount reversed by this call.
    """
    donation = _lock_donation(donation)
    confirmed = list(
        MatchReservation.objects.select_for_update(of=("self",))
        .select_related("pool")
        .filter(donation=donation, status=ReservationStatus.CONFIRMED)
        .order_by("-pool__priority", "-pool_id")
    )
    total = sum(r.amount for r in confirmed)
    already = sum(r.reversed_amount for r in confirmed)
    keep = math.floor(total * remaining_amount / donation.amount) if donation.amount else 0
    to_reverse = total - already - keep
    reversed_now = 0
    source = project_account(donation.project, donation.currency)
    for reservation in confirmed:
        if to_reverse <= 0:
            break
        take = min(reservation.net_amount, to_reverse)
        if take <= 0:
            continue
        avail_acc, _ = pool_accounts(reservation.pool)
        _, created = post_transaction(
            kind=TransactionKind.MATCH_REVERSAL,
            idempotency_key=f"reverse:{reservation.pk}:{key}",
            currency=reservation.pool.currency,
            legs=[(source, -take), (avail_acc, take)],
            donation=donation,
            pool=reservation.pool,
            reservation=reservation,
        )
        if not created:
            continue
        MatchReservation.objects.filter(pk=reservation.pk).update(
            reversed_amount=F("reversed_amount") + take
        )
        keys = reservation_keys(
            project=donation.project, email=donation.donor_email, day=reservation.cap_day
        )
        add_usage(dict.fromkeys(keys, -take))
        to_reverse -= take
        reversed_now += take
    return reversed_now


def expire_reservations(*, now: datetime | None = None, batch: int = 500) -> int:
    """Release HELD reservations past their expiry; return how many donations were touched.

    Safe to run concurrently with checkouts and with itself: each donation is handled in
    its own transaction that first locks the donation row with SKIP LOCKED, so a
    donation being confirmed right now is left for the next run, and the expiry is
    re-checked under the lock.
    """
    now = now or timezone.now()
    ids = list(
        MatchReservation.objects.expired(now)
        .values_list("donation_id", flat=True)
        .distinct()[:batch]
    )
    touched = 0
    for donation_id in ids:
        with transaction.atomic():
            donation = (
                Donation.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("project")
                .filter(pk=donation_id)
                .first()
            )
            if donation is None:
                continue
            rows = (
                MatchReservation.objects.select_for_update(of=("self",))
                .select_related("pool")
                .filter(donation=donation, status=ReservationStatus.HELD, expires_at__lte=now)
                .order_by("pool_id")
            )
            found = False
            for reservation in rows:
                _release(reservation, donation)
                found = True
            touched += int(found)
    return touched


def pool_available(pool: MatchPool) -> int:
    """Current available balance of a pool (its running balance row)."""
    return pool_balances([pool.pk])[pool.pk]["available"]


__all__ = [
    "AccountKind",
    "confirm_match",
    "expire_reservations",
    "pool_available",
    "quote_match",
    "release_match",
    "reserve_match",
    "reverse_match",
]
