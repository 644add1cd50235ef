"""Batch-level posting for the webhook inbox (issue #17).

An inbox batch applies up to 100 *paid* events in one transaction after taking every
row its gifts need in one lock pass (``payments.lock_for_events``). Posting each gift
on its own paid for ~35 statements: an idempotency check, two savepoints, the
transaction, its entries, one update per pool balance row and per project balance row,
cap usage rows, the receipt, its counter, its audit entry, the thank-you notice.

Inside :func:`batch_posting` those writes are collected instead and written once, in the
batch's **tail** (:meth:`Batch.flush`), in the global lock order:

1. the batch's ledger transactions (one ``bulk_create``) and their entries (one more);
2. ``FOR KEY SHARE`` on their project rows (PostgreSQL; the batch already holds them
   ``FOR UPDATE``), then one conditional update per ``PoolBalance`` row (the sum of the
   batch's deltas; ``PoolOverdrawn`` when it would go below zero), one update per
   ``ProjectBalance`` row, one per ``MatchCapUsage`` key;
3. the receipts of the gifts counted (their yearly serial numbers bumped once under the
   counter row's lock, the receipts and their audit entries bulk-inserted) and the
   donors' thank-you notices.

While collecting, reads see what the batch already did: pool balances and cap usage are
read from their rows once per batch and then kept with the batch's pending deltas added;
an idempotency key counts as existing when it was posted before the batch (read once for
the batch's gifts) or earlier in the batch. Rules, projects and pools come from the lock
pass (locked, so they cannot change under the batch).

Only *paid* events are applied this way: before any other event (refunds, disputes,
failures, which may read the balances and the ledger) the batch flushes and stops
collecting. Any error — including ``PoolOverdrawn`` or a duplicate idempotency key in the
tail — rolls the whole batch back and the inbox applies its events one by one without
collecting (the old, per-posting path), so a poisoned event is isolated as before.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field

_current: ContextVar[Batch | None] = ContextVar("funding_batch", default=None)


def current() -> Batch | None:
    """The batch collecting postings in this context, or None."""
    return _current.get()


@dataclass
class Batch:
    # From the lock pass: locked rows, valid for the whole transaction.
    donation_ids: set[int] = field(default_factory=set)
    project_ids: set[int] = field(default_factory=set)
    rules: dict = field(default_factory=dict)  # call id -> MatchingRule
    pools: dict = field(default_factory=dict)  # pool id -> MatchPool (locked)
    pools_of_project: dict = field(default_factory=dict)  # project id -> [pool id]
    known_keys: set[str] = field(default_factory=set)  # posted before the batch
    # Collected.
    postings: list = field(default_factory=list)  # [(LedgerTransaction, lines)]
    new_keys: dict = field(default_factory=dict)  # key -> LedgerTransaction
    pool_base: dict = field(default_factory=dict)  # pool id -> {field: value} as read
    pool_deltas: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    project_deltas: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    project_currency: dict = field(default_factory=dict)
    cap_base: dict = field(default_factory=dict)
    cap_deltas: dict = field(default_factory=lambda: defaultdict(int))
    counted: list = field(default_factory=list)  # gifts to receipt and thank

    # --- reads that see the batch's pending writes --------------------------------

    def pool_balances(self, ids: list[int]) -> dict[int, dict[str, int]]:
        from .balances import POOL_FIELDS, read_pool_balances

        missing = [pk for pk in ids if pk not in self.pool_base]
        if missing:
            self.pool_base.update(read_pool_balances(missing))
        result = {}
        for pk in ids:
            row = dict(self.pool_base.get(pk) or dict.fromkeys(POOL_FIELDS, 0))
            for name, delta in self.pool_deltas.get(pk, {}).items():
                row[name] += delta
            result[pk] = row
        return result

    def usage(self, keys: list[str]) -> dict[str, int]:
        from .caps import read_usage

        missing = [k for k in keys if k not in self.cap_base]
        if missing:
            self.cap_base.update(read_usage(missing))
        return {k: self.cap_base[k] + self.cap_deltas.get(k, 0) for k in keys}

    def key_exists(self, key: str, donation) -> bool | None:
        """True/False when the batch knows; None when the database must be asked (a
        posting for a gift the lock pass did not read)."""
        if key in self.new_keys:
            return True
        if donation is not None and donation.pk in self.donation_ids:
            return key in self.known_keys
        return None

    # --- collected writes ------------------------------------------------------------

    def add_posting(self, txn, lines, *, deltas, pool_deltas, currency) -> None:
        self.postings.append((txn, lines))
        self.new_keys[txn.idempotency_key] = txn
        for pool_id, values in pool_deltas.items():
            for name, delta in values.items():
                self.pool_deltas[pool_id][name] += delta
        for project_id, values in deltas.items():
            self.project_currency.setdefault(project_id, currency)
            for name, delta in values.items():
                self.project_deltas[project_id][name] += delta

    def add_usage(self, changes: dict[str, int]) -> None:
        for key, delta in changes.items():
            self.cap_deltas[key] += int(delta)

    # --- the tail ----------------------------------------------------------------------

    def flush(self) -> None:
        """Write everything collected, in the global lock order, and forget the cached
        reads (another writer may change balances once this batch stops collecting)."""
        from ..models import Entry, LedgerTransaction
        from .balances import apply_deltas, apply_pool_deltas, key_share_projects
        from .caps import write_usage

        if self.postings:
            txns = [txn for txn, _lines in self.postings]
            LedgerTransaction.objects.bulk_create(txns)
            Entry.objects.bulk_create(
                [
                    Entry(transaction=txn, account=acc, amount=amt, currency=txn.currency)
                    for txn, lines in self.postings
                    for acc, amt in lines
                ]
            )
            self.known_keys.update(self.new_keys)
        if self.project_deltas:
            key_share_projects(sorted(self.project_deltas))
        pool_deltas = {pk: dict(v) for pk, v in self.pool_deltas.items()}
        if pool_deltas:
            apply_pool_deltas(pool_deltas)
        by_currency: dict[str, dict] = defaultdict(dict)
        for project_id, values in self.project_deltas.items():
            by_currency[self.project_currency[project_id]][project_id] = dict(values)
        for currency, deltas in sorted(by_currency.items()):
            apply_deltas(deltas, currency, key_shared=True)
        changes = {k: v for k, v in self.cap_deltas.items() if v}
        if changes:
            write_usage(changes)
        counted, self.counted = self.counted, []
        self.postings, self.new_keys = [], {}
        self.pool_base, self.cap_base = {}, {}
        self.pool_deltas.clear()
        self.project_deltas.clear()
        self.cap_deltas.clear()
        if counted:
            from .thanks import after_counted_many

            after_counted_many(counted)


@contextlib.contextmanager
def batch_posting(batch: Batch) -> Iterator[Batch]:
    """Collect postings into ``batch`` in this context (see the module docs). The
    caller calls ``batch.flush()`` before its transaction commits; on an exception the
    transaction rolls back and what was collected is dropped with it."""
    token = _current.set(batch)
    try:
        yield batch
    finally:
        _current.reset(token)


@contextlib.contextmanager
def not_collecting() -> Iterator[None]:
    """Apply immediately in this context: the current batch (if any) is flushed first
    and does not collect until the context ends."""
    batch = _current.get()
    if batch is None:
        yield
        return
    batch.flush()
    token = _current.set(None)
    try:
        yield
    finally:
        _current.reset(token)
