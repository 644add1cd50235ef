"""Posting to the append-only ledger and reading balances."""

from collections.abc import Iterable, Sequence

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.db.models.signals import post_migrate

from ..enums import AccountKind, TransactionKind
from ..errors import UnbalancedTransaction
from ..models import Account, Entry, LedgerTransaction
from . import batching
from .balances import (
    apply_deltas,
    apply_pool_deltas,
    key_share_projects,
    pool_posting_deltas,
    posting_deltas,
)

# Accounts by natural key (process-wide; see ``account_for``).
_ACCOUNTS: dict[str, Account] = {}


def account_for(
    *, kind: str, currency: str, project=None, pool=None, sponsor=None, provider: str = ""
) -> Account:
    """Return the account with this natural key, creating it on first use.

    Guarantees one account per (kind, owner) even under concurrent first use (unique key).
    Accounts never change once created, so each process caches them by key: the hot
    path looks an account up once per process, not once per gift.
    """
    if pool is not None:
        key = f"{kind}:{pool.pk}"
    elif project is not None:
        key = f"{kind}:{project.pk}:{currency}"
    elif sponsor is not None:
        key = f"{kind}:{sponsor.pk}:{currency}"
    elif provider:
        key = f"{kind}:{provider}:{currency}"
    else:
        key = f"{kind}:{currency}"
    cached = _ACCOUNTS.get(key)
    if cached is not None:
        return cached
    account = Account.objects.filter(key=key).first()
    if account is None:
        try:
            with transaction.atomic():
                account = Account.objects.create(
                    key=key,
                    kind=kind,
                    currency=currency,
                    project=project,
                    pool=pool,
                    sponsor=sponsor,
                )
        except IntegrityError:
            account = Account.objects.get(key=key)
    # Cached once the row is known to be committed (a rolled-back first use leaves
    # nothing behind); outside a transaction this runs at once.
    transaction.on_commit(lambda: _ACCOUNTS.setdefault(key, account))
    return account


def clear_account_cache(**_kwargs) -> None:
    """Forget the cached accounts (after a database flush, e.g. between tests)."""
    _ACCOUNTS.clear()


post_migrate.connect(clear_account_cache, dispatch_uid="funding_clear_account_cache")


def project_account(project, currency: str | None = None) -> Account:
    currency = currency or project.currency
    if project is None:
        return account_for(kind=AccountKind.GENERAL, currency=currency)
    return account_for(kind=AccountKind.PROJECT, currency=currency, project=project)


def pool_accounts(pool) -> tuple[Account, Account]:
    """(available, reserved) accounts of a pool."""
    return (
        account_for(kind=AccountKind.POOL, currency=pool.currency, pool=pool),
        account_for(kind=AccountKind.POOL_RESERVED, currency=pool.currency, pool=pool),
    )


def post_transaction(
    *,
    kind: str,
    idempotency_key: str,
    currency: str,
    legs: Sequence[tuple[Account, int]],
    memo: str = "",
    created_by=None,
    donation=None,
    pool=None,
    reservation=None,
    reverses: LedgerTransaction | None = None,
) -> tuple[LedgerTransaction, bool]:
    """Write one balanced transaction; return ``(transaction, created)``.

    Guarantees: the legs sum to zero, no leg is zero, every leg is in ``currency``;
    a second call with the same ``idempotency_key`` writes nothing and returns the first
    transaction (the key is unique in the database). Legs on the same account are merged.
    Legs on project fund accounts also update the projects' ``ProjectBalance`` rows, and
    legs on pool accounts (and the granted side of a match) the pools' ``PoolBalance``
    rows, in this same database transaction (atomic ``F()`` increments; a pool balance
    that would go below zero raises ``PoolOverdrawn`` and nothing is written).
    Raises ``UnbalancedTransaction`` or ``ValueError`` for bad legs.

    Inside an inbox batch that collects postings (``funding.services.batching``) the
    transaction is checked and returned unsaved; the batch writes it, its entries and
    the balance changes in its tail (an overdraw or a duplicate key then fails the
    whole batch, which the inbox re-applies event by event without collecting).
    """
    if kind not in TransactionKind.values:
        raise ValueError(f"unknown transaction kind {kind!r}")
    lines = _lines(legs, currency)
    txn = LedgerTransaction(
        kind=kind,
        idempotency_key=idempotency_key,
        currency=currency,
        memo=memo[:255],
        created_by=created_by,
        donation=donation,
        pool=pool,
        reservation=reservation,
        reverses=reverses,
    )
    batch = batching.current()
    if batch is None:
        return _post_now(txn, lines)
    known = batch.key_exists(idempotency_key, donation)
    if known is None:
        known = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).exists()
    if known:
        existing = batch.new_keys.get(idempotency_key)
        if existing is None:
            existing = LedgerTransaction.objects.get(idempotency_key=idempotency_key)
        return existing, False
    batch.add_posting(
        txn,
        lines,
        deltas=posting_deltas(kind, lines),
        pool_deltas=pool_posting_deltas(kind, pool.pk if pool is not None else None, lines),
        currency=currency,
    )
    return txn, True


def _lines(legs: Sequence[tuple[Account, int]], currency: str) -> list[tuple[Account, int]]:
    """The legs merged per account, zero legs dropped; checked to balance."""
    merged: dict[int, list] = {}
    for account, amount in legs:
        if account.currency != currency:
            raise ValueError("leg currency differs from the transaction currency")
        if account.pk in merged:
            merged[account.pk][1] += int(amount)
        else:
            merged[account.pk] = [account, int(amount)]
    lines = [(acc, amt) for acc, amt in merged.values() if amt != 0]
    if len(lines) < 2:
        raise UnbalancedTransaction("a transaction needs at least two non-zero legs")
    if sum(amt for _, amt in lines) != 0:
        raise UnbalancedTransaction("legs do not sum to zero")
    return lines


@transaction.atomic
def _post_now(
    txn: LedgerTransaction, lines: list[tuple[Account, int]]
) -> tuple[LedgerTransaction, bool]:
    """Write ``txn`` and its entries now, with the balance rows (one savepoint: callers
    rely on "refused, nothing written" inside their own transaction)."""
    key, currency = txn.idempotency_key, txn.currency
    existing = LedgerTransaction.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            txn.save(force_insert=True)
    except IntegrityError:
        return LedgerTransaction.objects.get(idempotency_key=key), False
    Entry.objects.bulk_create(
        [Entry(transaction=txn, account=acc, amount=amt, currency=currency) for acc, amt in lines]
    )
    # Same transaction, in the global lock order: project rows (key share), the pools'
    # running balances (PoolBalance), then the project totals (ProjectBalance).
    deltas = posting_deltas(txn.kind, lines)
    if deltas:
        key_share_projects(sorted(deltas))
    pool_deltas = pool_posting_deltas(txn.kind, txn.pool_id, lines)
    if pool_deltas:
        apply_pool_deltas(pool_deltas)
    if deltas:
        apply_deltas(deltas, currency, key_shared=True)
    return txn, True


def balance(account: Account) -> int:
    """Sum of the account's entries (index-only scan on (account, amount))."""
    return Entry.objects.filter(account=account).aggregate(total=Sum("amount"))["total"] or 0


def balances(accounts: Iterable[Account]) -> dict[int, int]:
    """Balances of several accounts in one query, keyed by account id."""
    ids = [a.pk for a in accounts]
    rows = (
        Entry.objects.filter(account_id__in=ids)
        .values("account_id")
        .annotate(total=Sum("amount"))
        .values_list("account_id", "total")
    )
    result = dict.fromkeys(ids, 0)
    result.update(dict(rows))
    return result
