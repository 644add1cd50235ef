import pytest
from django.db import IntegrityError

from funding.enums import AccountKind, TransactionKind
from funding.errors import UnbalancedTransaction
from funding.models import Entry, LedgerTransaction
from funding.models.ledger import AppendOnlyError
from funding.services.ledger import account_for, balance, post_transaction

pytestmark = pytest.mark.django_db


def _accounts():
    return (
        account_for(kind=AccountKind.CLEARING, currency="CNY", provider="test"),
        account_for(kind=AccountKind.GENERAL, currency="CNY"),
    )


def test_post_transaction_balanced_updates_balances():
    a, b = _accounts()

    post_transaction(
        kind=TransactionKind.DONATION,
        idempotency_key="k1",
        currency="CNY",
        legs=[(a, -500), (b, 500)],
    )

    assert (balance(a), balance(b)) == (-500, 500)


def test_post_transaction_unbalanced_raises_and_writes_nothing():
    a, b = _accounts()

    with pytest.raises(UnbalancedTransaction):
        post_transaction(
            kind=TransactionKind.DONATION,
            idempotency_key="k1",
            currency="CNY",
            legs=[(a, -500), (b, 499)],
        )

    assert LedgerTransaction.objects.count() == 0


def test_post_transaction_same_key_twice_writes_once():
    a, b = _accounts()

    first, created1 = post_transaction(
        kind=TransactionKind.DONATION,
        idempotency_key="k1",
        currency="CNY",
        legs=[(a, -500), (b, 500)],
    )
    second, created2 = post_transaction(
        kind=TransactionKind.DONATION,
        idempotency_key="k1",
        currency="CNY",
        legs=[(a, -500), (b, 500)],
    )

    assert (first.pk, created1, created2) == (second.pk, True, False)
    assert balance(b) == 500


def test_entry_update_and_delete_refused():
    a, b = _accounts()
    txn, _ = post_transaction(
        kind=TransactionKind.DONATION,
        idempotency_key="k1",
        currency="CNY",
        legs=[(a, -500), (b, 500)],
    )
    entry = txn.entries.first()

    entry.amount = 1
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        Entry.objects.filter(pk=entry.pk).update(amount=7)
    with pytest.raises(AppendOnlyError):
        LedgerTransaction.objects.all().delete()
    assert Entry.objects.get(pk=entry.pk).amount in (-500, 500)


def test_entry_zero_amount_rejected_by_database():
    a, b = _accounts()
    txn, _ = post_transaction(
        kind=TransactionKind.DONATION,
        idempotency_key="k1",
        currency="CNY",
        legs=[(a, -500), (b, 500)],
    )
    other = account_for(kind=AccountKind.SPONSOR, currency="CNY", provider="x")

    with pytest.raises(IntegrityError):
        Entry.objects.create(transaction=txn, account=other, amount=0, currency="CNY")


def test_transaction_idempotency_key_unique_in_database():
    LedgerTransaction.objects.create(
        kind=TransactionKind.DONATION, idempotency_key="dup", currency="CNY"
    )

    with pytest.raises(IntegrityError):
        LedgerTransaction.objects.create(
            kind=TransactionKind.DONATION, idempotency_key="dup", currency="CNY"
        )
