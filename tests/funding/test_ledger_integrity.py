"""#17 item 9: the ledger is append-only in the database (PostgreSQL trigger), and
``reconcile`` checks every entry's account against its transaction's pool / gift."""

import pytest
from django.db import DatabaseError, connection, transaction

from funding.enums import TransactionKind
from funding.models import Entry
from funding.services.donations import mark_succeeded
from funding.services.ledger import pool_accounts, post_transaction, project_account
from funding.services.reconcile import reconcile
from tests.factories.funding import DonationFactory, MatchedProjectFactory, MatchingRuleFactory
from tests.factories.funding import funded_pool as make_pool

pytestmark = pytest.mark.django_db


def test_reconcile_reports_an_entry_moved_to_another_pool():
    first, second = make_pool(10_000), make_pool(10_000)
    a_avail, _ = pool_accounts(first)
    b_avail, b_reserved = pool_accounts(second)
    txn, _ = post_transaction(
        kind=TransactionKind.CORRECTION,
        idempotency_key="moved",
        currency="CNY",
        legs=[(b_avail, -500), (b_reserved, 500)],
        pool=first,  # claims to be the first pool's transaction
    )

    report = reconcile()

    moved = sorted(p for p in report.problems if p.startswith("entry "))
    assert len(moved) == 2
    assert moved[0].endswith(f"is on pool:{second.pk}, not its transaction's pool")
    assert a_avail.key == f"pool:{first.pk}"
    assert f"of transaction {txn.pk} " in moved[0]


def test_reconcile_reports_a_gift_posted_to_another_project():
    MatchingRuleFactory()
    gift = DonationFactory(amount=10_000)
    mark_succeeded(donation=gift, amount_received=10_000, currency="CNY")
    other = MatchedProjectFactory(slug="other-proj")
    clearing = Entry.objects.filter(transaction__donation=gift, amount__lt=0).first().account
    post_transaction(
        kind=TransactionKind.CORRECTION,
        idempotency_key="stray",
        currency="CNY",
        legs=[(clearing, -1), (project_account(other, "CNY"), 1)],
        donation=gift,
    )

    problems = [p for p in reconcile().problems if p.startswith("entry ")]

    assert len(problems) == 1
    assert problems[0].endswith(f"is on project:{other.pk}:CNY, not its gift's project")


def test_clean_ledger_has_no_owner_problems():
    MatchingRuleFactory()
    make_pool(50_000)
    gift = DonationFactory(amount=10_000)
    mark_succeeded(donation=gift, amount_received=10_000, currency="CNY")

    assert reconcile().ok


@pytest.mark.postgres
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE funding_entry SET amount = amount * 2",
        "DELETE FROM funding_entry",
        "UPDATE funding_ledgertransaction SET memo = 'edited'",
        "DELETE FROM funding_ledgertransaction",
    ],
)
def test_database_refuses_to_change_ledger_rows(sql):
    make_pool(10_000)
    before = list(Entry.objects.order_by("pk").values_list("amount", flat=True))

    with pytest.raises(DatabaseError, match="ledger rows are append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)

    assert list(Entry.objects.order_by("pk").values_list("amount", flat=True)) == before


@pytest.mark.postgres
def test_database_refuses_an_upsert_that_rewrites_an_entry():
    make_pool(10_000)
    entry = Entry.objects.order_by("pk").first()
    forged = Entry(
        pk=entry.pk,
        transaction_id=entry.transaction_id,
        account_id=entry.account_id,
        amount=entry.amount * 10,
        currency=entry.currency,
    )

    with pytest.raises(DatabaseError, match="ledger rows are append-only"):
        with transaction.atomic():
            Entry.objects.bulk_create(
                [forged], update_conflicts=True, unique_fields=["id"], update_fields=["amount"]
            )

    assert Entry.objects.get(pk=entry.pk).amount == entry.amount
