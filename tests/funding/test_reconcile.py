import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from funding.enums import AccountKind, ReservationStatus, TransactionKind
from funding.errors import PoolOverdrawn
from funding.models import (
    Donation,
    Entry,
    LedgerTransaction,
    MatchCapUsage,
    MatchReservation,
    PoolBalance,
)
from funding.services.donations import mark_succeeded
from funding.services.ledger import account_for, pool_accounts, post_transaction
from funding.services.matching import reserve_match
from funding.services.reconcile import reconcile
from tests.factories.funding import DonationFactory, MatchingRuleFactory, funded_pool

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid():
    MatchingRuleFactory()
    pool = funded_pool(50_000)
    donation = DonationFactory(amount=10_000)
    reserve_match(donation=donation)
    mark_succeeded(donation=donation, amount_received=10_000, currency="CNY")
    return pool, donation


def _run():
    try:
        call_command("reconcile")
    except CommandError as exc:
        return exc.returncode, str(exc)
    return 0, ""


def test_reconcile_clean_data_exits_zero(paid, capsys):
    code, _ = _run()

    out = capsys.readouterr().out
    assert code == 0
    assert "counted donations: 1" in out
    assert "reconcile: OK" in out


def test_reconcile_unbalanced_group_fails(paid, capsys):
    txn = LedgerTransaction.objects.filter(kind=TransactionKind.DONATION).get()
    stray = account_for(kind=AccountKind.SPONSOR, currency="CNY", provider="stray")
    Entry.objects.create(transaction=txn, account=stray, amount=1, currency="CNY")

    code, message = _run()

    assert (code, message) == (1, "reconcile: 2 discrepancies")
    assert f"transaction {txn.pk} is unbalanced" in capsys.readouterr().err


def test_post_transaction_pool_overdraw_refused_nothing_written(paid):
    pool, _ = paid
    available, _ = pool_accounts(pool)
    outside = account_for(kind=AccountKind.SPONSOR, currency="CNY", provider="thief")

    with pytest.raises(PoolOverdrawn):
        post_transaction(
            kind=TransactionKind.CORRECTION,
            idempotency_key="steal",
            currency="CNY",
            legs=[(available, -90_000), (outside, 90_000)],
        )

    assert not LedgerTransaction.objects.filter(idempotency_key="steal").exists()
    assert PoolBalance.objects.get(pool=pool).available == 40_000
    assert reconcile().ok


def test_reconcile_pool_below_zero_fails(paid, capsys):
    # Entries written around the posting service (as a raw INSERT would).
    pool, _ = paid
    available, _ = pool_accounts(pool)
    outside = account_for(kind=AccountKind.SPONSOR, currency="CNY", provider="thief")
    txn = LedgerTransaction.objects.create(
        kind=TransactionKind.CORRECTION, idempotency_key="steal", currency="CNY", pool=pool
    )
    Entry.objects.bulk_create(
        [
            Entry(transaction=txn, account=available, amount=-90_000, currency="CNY"),
            Entry(transaction=txn, account=outside, amount=90_000, currency="CNY"),
        ]
    )

    code, _ = _run()

    err = capsys.readouterr().err
    assert code == 1
    assert f"pool account pool:{pool.pk} is below zero: -50000" in err
    assert f"pool {pool.pk} balance available 40000 != entries -50000" in err


def test_reconcile_pool_balance_row_tampered_fails(paid, capsys):
    pool, _ = paid
    PoolBalance.objects.filter(pool=pool).update(available=45_000, granted=0)

    code, message = _run()

    err = capsys.readouterr().err
    assert (code, message) == (1, "reconcile: 2 discrepancies")
    assert f"pool {pool.pk} balance available 45000 != entries 40000" in err
    assert f"pool {pool.pk} balance granted 0 != entries 10000" in err


def test_reconcile_pool_balance_row_missing_fails(paid, capsys):
    pool, _ = paid
    PoolBalance.objects.filter(pool=pool).delete()

    code, _ = _run()

    assert code == 1
    assert f"pool {pool.pk} balance available 0 != entries 40000" in capsys.readouterr().err


def test_reconcile_cap_usage_row_tampered_fails(paid, capsys):
    _, donation = paid
    key = f"project:{donation.project_id}"
    MatchCapUsage.objects.filter(key=key).update(used=1)

    code, message = _run()

    assert (code, message) == (1, "reconcile: 1 discrepancies")
    assert f"match cap usage {key} 1 != reservations 10000" in capsys.readouterr().err


def test_reconcile_match_record_tampered_fails(paid, capsys):
    pool, _ = paid
    MatchReservation.objects.update(amount=9_000)

    code, _ = _run()

    err = capsys.readouterr().err
    assert code == 1
    assert f"pool {pool.pk} match granted in ledger 10000 != records 9000" in err


def test_reconcile_donation_without_posting_fails(paid, capsys):
    _, donation = paid
    extra = DonationFactory(amount=500, project=donation.project, status="succeeded")

    code, _ = _run()

    err = capsys.readouterr().err
    assert code == 1
    assert f"donation {extra.pk} has 0 ledger postings, expected 1" in err
    assert f"project {donation.project_id} raised in ledger 10000 != records 10500" in err


def test_reconcile_held_reservation_mismatch_fails(paid, capsys):
    pool, donation = paid
    MatchReservation.objects.filter(donation=donation).update(status=ReservationStatus.HELD)

    code, _ = _run()

    assert code == 1
    assert f"pool {pool.pk} reserved balance 0 != held reservations 10000" in (
        capsys.readouterr().err
    )


def test_reconcile_refunded_amount_tampered_fails(paid, capsys):
    _, donation = paid
    Donation.objects.filter(pk=donation.pk).update(refunded_amount=100)

    code, _ = _run()

    assert code == 1
    assert f"project {donation.project_id} raised in ledger 10000 != records 9900" in (
        capsys.readouterr().err
    )
