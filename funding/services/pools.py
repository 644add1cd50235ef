"""Sponsors' pools: top-up and close, each a ledger transaction."""

from django.db import transaction
from django.utils.translation import gettext
from wagtail.log_actions import log

from ..enums import AccountKind, TransactionKind
from ..errors import DuplicateReference, InvalidTransition
from ..models import MatchPool
from .balances import pool_balances
from .ledger import account_for, pool_accounts, post_transaction


@transaction.atomic
def top_up_pool(*, pool: MatchPool, amount: int, key: str, by=None) -> int:
    """Move ``amount`` fen from the sponsor's commitment into the pool.

    ``key`` makes it idempotent (e.g. the sponsor's transfer reference): the same
    reference with the same amount changes nothing; with a different amount it raises
    ``DuplicateReference`` (field ``reference``) and writes nothing. Locks the pool
    row. Raises ``InvalidTransition`` for a closed pool, ``ValueError`` for amount ≤ 0.
    Returns the pool's available balance afterwards. Audit-logged.
    """
    if amount <= 0:
        raise ValueError("top-up amount must be positive")
    pool = (
        MatchPool.objects.select_for_update(of=("self",), no_key=True)
        .select_related("sponsor")
        .get(pk=pool.pk)
    )
    if pool.is_closed:
        raise InvalidTransition("pool is closed")
    available = pool_accounts(pool)[0]
    sponsor_acc = account_for(
        kind=AccountKind.SPONSOR, currency=pool.currency, sponsor=pool.sponsor
    )
    txn, created = post_transaction(
        kind=TransactionKind.POOL_TOP_UP,
        idempotency_key=f"topup:{pool.pk}:{key}",
        currency=pool.currency,
        legs=[(sponsor_acc, -amount), (available, amount)],
        pool=pool,
        created_by=by,
        memo=f"top-up {key}",
    )
    if not created:
        recorded = txn.entries.filter(account=available).values_list("amount", flat=True).first()
        if recorded != amount:
            raise DuplicateReference(
                f"top-up reference {key!r} already used for {recorded}",
                message=gettext(
                    "Transfer reference %(ref)s was already used for a top-up of "
                    "%(amount)s fen to this pool. Nothing was recorded; check the "
                    "reference."
                )
                % {"ref": key, "amount": recorded},
                field="reference",
            )
    if created:
        log(instance=pool, action="funding.pool_top_up", user=by, data={"amount": amount})
    return pool_balances([pool.pk])[pool.pk]["available"]


@transaction.atomic
def close_pool(*, pool: MatchPool, by=None) -> int:
    """Close the pool and return its unreserved balance to the sponsor.

    Held reservations stay valid until confirmed or released (released money then
    stays in the closed pool's account and is returned by closing again). Locks the pool
    row; returns the amount returned. Audit-logged.
    """
    pool = (
        MatchPool.objects.select_for_update(of=("self",), no_key=True)
        .select_related("sponsor")
        .get(pk=pool.pk)
    )
    available, _ = pool_accounts(pool)
    remaining = pool_balances([pool.pk])[pool.pk]["available"]
    if remaining > 0:
        sponsor_acc = account_for(
            kind=AccountKind.SPONSOR, currency=pool.currency, sponsor=pool.sponsor
        )
        closes = pool.transactions.filter(kind=TransactionKind.POOL_CLOSE).count()
        post_transaction(
            kind=TransactionKind.POOL_CLOSE,
            idempotency_key=f"close:{pool.pk}:{closes}",
            currency=pool.currency,
            legs=[(available, -remaining), (sponsor_acc, remaining)],
            pool=pool,
            created_by=by,
        )
    if not pool.is_closed:
        pool.is_closed = True
        pool.save(update_fields=["is_closed"])
    log(instance=pool, action="funding.pool_close", user=by, data={"returned": remaining})
    return remaining
