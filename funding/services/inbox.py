"""The webhook inbox: store every verified provider notification once, apply it later.

**Ingest** (the webhook request): the provider adapter verifies the signature, then
:func:`store_notifications` inserts one :class:`~funding.models.InboundEvent` per
notification — unique per (provider, event id), so a re-delivery inserts nothing — and
:func:`kick_workers` makes sure a worker will look soon. The request does nothing else:
it answers in milliseconds whatever the load on the ledger.

**Apply** (django-tasks workers, any number, on any machine): :func:`process_batch`
claims up to ``size`` due pending events with ``SELECT … FOR UPDATE SKIP LOCKED`` (two
workers never take the same row), drops any whose *stream* (e.g. one gift) has an earlier
pending event it did not claim, applies the rest in arrival order inside **one**
transaction and marks them applied in that same transaction. If anything in the batch
fails, the batch rolls back and its events are applied one by one, each in its own
transaction, so one poisoned event cannot hold the others back; the poisoned one is
retried with exponential backoff and parked as *failed* after
``FUNDING_INBOX_MAX_ATTEMPTS`` attempts, visible and re-runnable in the finance admin.
Connection-level database errors (restart, fail-over, a deadlock abort) are not counted
against an event: the batch rolls back and is claimed again.

**SQLite** has no ``SKIP LOCKED``: ``select_for_update`` is a no-op there and the batch
transaction takes SQLite's write lock at ``BEGIN`` (``transaction_mode`` IMMEDIATE in the
settings), so batches run one after another — correct with any number of workers, and
meant for one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Min
from django.utils import timezone
from wagtail.log_actions import log

from ..enums import InboundEventStatus
from ..errors import InvalidTransition
from ..models import InboundEvent
from ..providers.base import MalformedNotification, Notification, PaymentEventKind
from ..providers.registry import get_adapter
from . import batching

logger = logging.getLogger(__name__)

KICK_KEY = "funding:inbox:kick"
CONNECTION_ERRORS = (OperationalError, InterfaceError)


def max_attempts() -> int:
    return int(getattr(settings, "FUNDING_INBOX_MAX_ATTEMPTS", 8))


def backoff(attempts: int) -> timedelta:
    """Delay before attempt ``attempts + 1``: 2, 4, 8 … seconds, at most an hour."""
    return timedelta(seconds=min(2**attempts, 3600))


# --- ingest ---------------------------------------------------------------------------


def store_notifications(
    *, provider: str, notifications: Iterable[Notification], now: datetime | None = None
) -> int:
    """Store verified notifications; return how many were new (0: all were re-deliveries).

    Each insert is its own statement: the unique (provider, event id) constraint makes a
    concurrent or repeated delivery of the same event a no-op, on any number of app
    servers. Raises ``DatabaseError`` when the database cannot take it (the endpoint
    then answers 5xx and the provider delivers again).
    """
    now = now or timezone.now()
    created = 0
    for item in notifications:
        try:
            with transaction.atomic():
                InboundEvent.objects.create(
                    provider=provider,
                    event_id=item.event_id,
                    event_type=item.event_type,
                    stream=item.stream[:200],
                    payload=item.payload,
                    received_at=now,
                    available_at=now,
                )
        except IntegrityError:
            continue
        created += 1
    return created


def kick_workers(*, at: datetime | None = None) -> None:
    """Make sure a worker drains the inbox soon.

    With a backend that can defer tasks (the database backend), at most one drain task
    is enqueued per ``FUNDING_INBOX_KICK_SECONDS`` window per cache (a shared cache: per
    site), to run at the window's end — after every event stored during the window, so
    none is left waiting. ``at`` enqueues one for that moment regardless (a retry).
    Backends that run tasks at once (tests) drain synchronously.
    """
    from ..tasks import drain_inbox

    task = drain_inbox
    backend = task.get_backend()
    if "funding" in backend.queues:
        task = task.using(queue_name="funding")
    if not backend.supports_defer:
        task.enqueue()
        return
    if at is None:
        window = float(getattr(settings, "FUNDING_INBOX_KICK_SECONDS", 1))
        if not cache.add(KICK_KEY, 1, timeout=max(1, int(window))):
            return
        at = timezone.now() + timedelta(seconds=window)
    task.using(run_after=at).enqueue()


# --- apply ----------------------------------------------------------------------------


@dataclass
class BatchResult:
    claimed: int = 0
    applied: int = 0
    ignored: int = 0
    failed: int = 0
    deferred: int = 0  # claimed but left for later (an earlier event of its stream pending)

    def add(self, other: BatchResult) -> None:
        for name in ("claimed", "applied", "ignored", "failed", "deferred"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def claim_batch(*, size: int, now: datetime) -> tuple[list[InboundEvent], int]:
    """Lock up to ``size`` due pending events (skipping rows other workers hold) and
    return them in arrival order, minus events that must wait for an earlier event of
    their stream; also returns how many were left for that reason. Call inside the
    batch's transaction."""
    qs = InboundEvent.objects.filter(
        status=InboundEventStatus.PENDING, available_at__lte=now
    ).order_by("pk")
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True)
    events = list(qs[:size])
    streams = {e.stream for e in events if e.stream}
    if not streams:
        return events, 0
    mine = [e.pk for e in events]
    earlier = dict(
        InboundEvent.objects.filter(status=InboundEventStatus.PENDING, stream__in=streams)
        .exclude(pk__in=mine)
        .values("stream")
        .annotate(first=Min("pk"))
        .values_list("stream", "first")
    )
    kept = [e for e in events if not (e.stream in earlier and e.pk > earlier[e.stream])]
    return kept, len(events) - len(kept)


def apply_event(event: InboundEvent) -> tuple[str, str]:
    """Apply one stored event; return ``(status, outcome)``. Raises on failure (the
    caller's transaction then rolls back)."""
    from .payments import apply_payment_event

    adapter = get_adapter(event.provider)
    if adapter is None:
        return InboundEventStatus.IGNORED, "no adapter for this provider"
    try:
        payment_events = adapter.normalise(event.event_type, event.payload)
    except MalformedNotification as exc:
        logger.warning("inbox event %s ignored, malformed: %s", event.pk, exc)
        return InboundEventStatus.IGNORED, f"malformed: {exc}"[:200]
    if not payment_events:
        return InboundEventStatus.IGNORED, "event type not handled"
    outcomes, applied = [], False
    for payment_event in payment_events:
        did, outcome = apply_payment_event(
            source=adapter.donation_source, event=payment_event, at=event.received_at
        )
        applied = applied or did
        outcomes.append(outcome)
    status = InboundEventStatus.APPLIED if applied else InboundEventStatus.IGNORED
    return status, "; ".join(outcomes)[:200]


def _lock_batch(events: list[InboundEvent], now: datetime) -> None:
    """Take every row the batch's gifts will lock, once and in the global lock order,
    before applying the first (see ``payments.lock_for_events``)."""
    from .payments import lock_for_events

    pairs = []
    for event in events:
        adapter = get_adapter(event.provider)
        if adapter is None:
            continue
        try:
            normalised = adapter.normalise(event.event_type, event.payload)
        except MalformedNotification:
            continue  # ignored when applied
        pairs.extend((adapter.donation_source, item) for item in normalised)
    if pairs:
        lock_for_events(events=pairs, at=now)


def _only_paid(event: InboundEvent) -> bool:
    """Whether every payment event of ``event`` is a payment (applied collecting)."""
    adapter = get_adapter(event.provider)
    if adapter is None:
        return False
    try:
        normalised = adapter.normalise(event.event_type, event.payload)
    except MalformedNotification:
        return False
    return bool(normalised) and all(e.kind == PaymentEventKind.PAID for e in normalised)


def _mark(results: list[tuple[InboundEvent, str, str]], now: datetime) -> None:
    for event, status, outcome in results:
        event.status = status
        event.outcome = outcome
        event.applied_at = now
        event.attempts += 1
    InboundEvent.objects.bulk_update(
        [r[0] for r in results], ["status", "outcome", "applied_at", "attempts"]
    )


def _tally(result: BatchResult, status: str) -> None:
    if status == InboundEventStatus.APPLIED:
        result.applied += 1
    else:
        result.ignored += 1


def process_batch(*, size: int = 100, now: datetime | None = None) -> BatchResult:
    """Claim and apply one batch (see the module docs). Returns what happened.

    Raises a connection-level ``OperationalError``/``InterfaceError`` unchanged (nothing
    is kept; the events stay pending for the next claim).
    """
    now = now or timezone.now()
    result = BatchResult()
    claimed_ids: list[int] = []
    try:
        with transaction.atomic(), batching.batch_posting(batching.Batch()) as batch:
            events, deferred = claim_batch(size=size, now=now)
            result.claimed, result.deferred = len(events) + deferred, deferred
            claimed_ids = [e.pk for e in events]
            _lock_batch(events, now)
            results = []
            for event in events:
                if _only_paid(event):  # collected, written in the tail
                    status, outcome = apply_event(event)
                else:  # may read balances and the ledger: flush first, apply now
                    with batching.not_collecting():
                        status, outcome = apply_event(event)
                results.append((event, status, outcome))
            batch.flush()
            if results:
                _mark(results, timezone.now())
    except CONNECTION_ERRORS:
        raise
    except Exception:  # noqa: BLE001 - isolate the poisoned event below
        logger.warning(
            "inbox batch of %s rolled back; applying one by one",
            len(claimed_ids),
            exc_info=True,
        )
        return _one_by_one(claimed_ids, now, result)
    for _event, status, _outcome in results:
        _tally(result, status)
    return result


def _one_by_one(ids: list[int], now: datetime, result: BatchResult) -> BatchResult:
    for pk in ids:
        try:
            with transaction.atomic():
                qs = InboundEvent.objects.filter(pk=pk, status=InboundEventStatus.PENDING)
                if connection.features.has_select_for_update_skip_locked:
                    qs = qs.select_for_update(skip_locked=True)
                event = qs.first()
                if event is None:
                    continue
                status, outcome = apply_event(event)
                _mark([(event, status, outcome)], timezone.now())
        except CONNECTION_ERRORS:
            raise
        except Exception as exc:  # noqa: BLE001 - recorded on the event, retried later
            logger.exception("inbox event %s failed", pk)
            if _record_failure(pk, exc, now):
                result.failed += 1
            continue
        _tally(result, status)
    return result


def _record_failure(pk: int, exc: Exception, now: datetime) -> bool:
    """Count a failed attempt: back off, or park the event as failed. Returns True when
    parked. The error text stays in the finance admin (never sent to a client)."""
    with transaction.atomic():
        event = InboundEvent.objects.select_for_update().filter(pk=pk).first()
        if event is None or event.status != InboundEventStatus.PENDING:
            return False
        event.attempts += 1
        event.last_error = f"{type(exc).__name__}: {exc}"[:500]
        parked = event.attempts >= max_attempts()
        if parked:
            event.status = InboundEventStatus.FAILED
            event.outcome = f"failed after {event.attempts} attempts"
        else:
            event.available_at = now + backoff(event.attempts)
        event.save(update_fields=["attempts", "last_error", "status", "outcome", "available_at"])
        retry_at = event.available_at
    if not parked:
        transaction.on_commit(lambda: _kick_quietly(retry_at))
    return parked


def _kick_quietly(at: datetime | None = None) -> None:
    try:
        kick_workers(at=at)
    except Exception:  # noqa: BLE001 - the periodic process_inbox picks the events up
        logger.exception("could not enqueue an inbox drain")


def process_inbox(
    *, batch_size: int = 100, max_seconds: float | None = None, now: datetime | None = None
) -> BatchResult:
    """Apply batches until nothing due is left (or ``max_seconds`` passed).

    Stops when a claim yields nothing it may apply. Returns the totals.
    """
    import time

    started = time.monotonic()
    total = BatchResult()
    while True:
        batch = process_batch(size=batch_size, now=now)
        total.add(batch)
        if batch.claimed == 0 or batch.claimed == batch.deferred:
            return total
        if max_seconds is not None and time.monotonic() - started > max_seconds:
            return total


def pending_count() -> int:
    return InboundEvent.objects.filter(status=InboundEventStatus.PENDING).count()


@transaction.atomic
def requeue_event(*, event: InboundEvent, by=None) -> InboundEvent:
    """Finance re-runs a parked (failed) or ignored event: it becomes pending again with
    a fresh attempt count and is applied by the next drain (application is idempotent,
    so an event that already had an effect changes nothing more). Audit-logged.
    Raises ``InvalidTransition`` for an event that is pending or applied."""
    event = InboundEvent.objects.select_for_update().get(pk=event.pk)
    if event.status not in (InboundEventStatus.FAILED, InboundEventStatus.IGNORED):
        raise InvalidTransition("only failed or ignored events can be re-run")
    previous = event.status
    event.status = InboundEventStatus.PENDING
    event.attempts = 0
    event.available_at = timezone.now()
    event.outcome = ""
    event.save(update_fields=["status", "attempts", "available_at", "outcome"])
    log(
        instance=event,
        action="funding.inbox_requeued",
        user=by,
        data={"previous": previous, "event": event.event_id},
    )
    transaction.on_commit(_kick_quietly)
    return event
