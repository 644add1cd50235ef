"""ProjectBalance: the denormalised raised / matched / disbursed / spent per project."""

import importlib
import random
import threading

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, close_old_connections, connection
from django.db.models import F
from django.utils import timezone

from funding import demo
from funding.enums import AccountKind, TransactionKind
from funding.models import Entry, LedgerTransaction, ProjectBalance
from funding.services.balances import computed_balances, rebuild_balances
from funding.services.donations import mark_succeeded, record_refund
from funding.services.ledger import account_for, post_transaction, project_account
from funding.services.reconcile import reconcile
from funding.services.spending import (
    approve_disbursement,
    record_disbursement,
    record_expenditure,
)
from portal.demo import DemoContext
from tests.factories.funding import (
    DonationFactory,
    MatchedProjectFactory,
    MatchingRuleFactory,
    funded_pool,
)

pytestmark = pytest.mark.django_db


def _paid(project, amount):
    donation = DonationFactory(project=project, amount=amount)
    mark_succeeded(donation=donation, amount_received=amount, currency="CNY")
    donation.refresh_from_db()
    return donation


def _figures(project):
    row = ProjectBalance.objects.get(pk=project.pk)
    return row.raised, row.matched, row.disbursed, row.spent


@pytest.fixture
def project():
    MatchingRuleFactory()
    funded_pool(1_000_000)
    return MatchedProjectFactory(slug="balance-proj")


def test_every_kind_of_posting_updates_the_balance(project, finance_users):
    assert not ProjectBalance.objects.filter(pk=project.pk).exists()

    _paid(project, 10_000)
    assert _figures(project) == (10_000, 10_000, 0, 0)

    refunded = _paid(project, 4_000)
    record_refund(donation=refunded, refunded_total=1_000)
    assert _figures(project) == (13_000, 13_000, 0, 0)

    disbursement = record_disbursement(project=project, amount=5_000, recorded_by=finance_users[0])
    approve_disbursement(disbursement=disbursement, approved_by=finance_users[1])
    record_expenditure(
        project=project,
        budget_line="餐费",
        amount=1_200,
        spent_on=timezone.localdate(),
        recorded_by=finance_users[0],
    )

    assert _figures(project) == (13_000, 13_000, 5_000, 1_200)
    assert project.balance.currency == "CNY"
    assert project.balance.funded == 26_000
    assert computed_balances([project.pk])[project.pk] == {
        "raised": 13_000,
        "matched": 13_000,
        "disbursed": 5_000,
        "spent": 1_200,
    }
    assert reconcile().ok


def test_idempotent_replay_counts_once_and_corrections_do_not_count(project):
    clearing = account_for(kind=AccountKind.CLEARING, currency="CNY", provider="x")
    fund = project_account(project)
    post_transaction(
        kind=TransactionKind.CORRECTION,
        idempotency_key="c1",
        currency="CNY",
        legs=[(clearing, -700), (fund, 700)],
    )
    assert not ProjectBalance.objects.filter(pk=project.pk).exists()

    for _ in range(2):
        post_transaction(
            kind=TransactionKind.DONATION,
            idempotency_key="k",
            currency="CNY",
            legs=[(clearing, -300), (fund, 300)],
        )

    assert _figures(project) == (300, 0, 0, 0)


def test_negative_total_is_refused_and_nothing_is_written(project):
    clearing = account_for(kind=AccountKind.CLEARING, currency="CNY", provider="x")
    fund = project_account(project)
    _paid(project, 1_000)
    before = LedgerTransaction.objects.count()

    with pytest.raises(IntegrityError):
        post_transaction(
            kind=TransactionKind.DONATION_REVERSAL,
            idempotency_key="too-much",
            currency="CNY",
            legs=[(fund, -5_000), (clearing, 5_000)],
        )

    assert LedgerTransaction.objects.count() == before
    assert _figures(project)[0] == 1_000


def test_reconcile_detects_a_tampered_balance(project, capsys):
    _paid(project, 10_000)
    ProjectBalance.objects.filter(pk=project.pk).update(raised=F("raised") + 1)

    with pytest.raises(CommandError) as exc:
        call_command("reconcile")

    assert exc.value.returncode == 1
    assert str(exc.value) == "reconcile: 1 discrepancies"
    err = capsys.readouterr().err
    assert f"project {project.pk} balance raised 10001 != entries 10000" in err


def test_reconcile_detects_a_missing_balance(project, capsys):
    _paid(project, 10_000)
    ProjectBalance.objects.filter(pk=project.pk).delete()

    report = reconcile()

    assert f"project {project.pk} balance raised 0 != entries 10000" in report.problems
    assert f"project {project.pk} balance matched 0 != entries 10000" in report.problems


def test_rebuild_repairs_tampered_rows(project):
    _paid(project, 10_000)
    ProjectBalance.objects.filter(pk=project.pk).update(matched=1, raised=7)

    assert rebuild_balances() == 1

    assert _figures(project) == (10_000, 10_000, 0, 0)
    assert reconcile().ok


def test_backfill_migration_rebuilds_from_entries(project, finance_users):
    _paid(project, 10_000)
    tranche = record_disbursement(project=project, amount=1_000, recorded_by=finance_users[0])
    approve_disbursement(disbursement=tranche, approved_by=finance_users[1])
    record_expenditure(
        project=project,
        budget_line="交通",
        amount=300,
        spent_on=timezone.localdate(),
        recorded_by=finance_users[0],
    )
    other = MatchedProjectFactory(slug="balance-other")
    _paid(other, 2_000)
    ProjectBalance.objects.all().delete()
    migration = importlib.import_module("funding.migrations.0004_backfill_project_balance")

    migration.backfill(django_apps, None)

    assert _figures(project) == (10_000, 10_000, 1_000, 300)
    assert _figures(other) == (2_000, 2_000, 0, 0)
    assert reconcile().ok


def test_seed_large_fills_balances(monkeypatch):
    monkeypatch.setattr(demo, "LARGE_DONATIONS", 600)
    first = MatchedProjectFactory(slug="bulk-project-0")
    second = MatchedProjectFactory(slug="bulk-project-1")
    ctx = DemoContext(size="large", rng=random.Random(5), log=lambda m: None)

    demo._seed_large(ctx)

    sums = computed_balances()
    assert sums[first.pk]["raised"] + sums[second.pk]["raised"] == sum(
        Entry.objects.filter(account__kind=AccountKind.PROJECT).values_list("amount", flat=True)
    )
    assert _figures(first)[0] == sums[first.pk]["raised"] > 0
    assert _figures(second)[0] == sums[second.pk]["raised"] > 0
    assert reconcile().ok


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_postings_never_lose_an_update():
    """Twelve threads post to one project that has no balance row yet: they race to
    create it and then to increment it; the row must hold every posting."""
    project = MatchedProjectFactory(slug="balance-race")
    clearing = account_for(kind=AccountKind.CLEARING, currency="CNY", provider="race")
    fund = project_account(project)
    workers = 12
    barrier = threading.Barrier(workers)
    errors = []

    def post(n):
        try:
            barrier.wait()
            for k in range(5):
                post_transaction(
                    kind=TransactionKind.DONATION,
                    idempotency_key=f"race:{n}:{k}",
                    currency="CNY",
                    legs=[(clearing, -(n + 1)), (fund, n + 1)],
                )
        except Exception as exc:  # noqa: BLE001 - asserted below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(n,)) for n in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    close_old_connections()

    assert errors == []
    assert ProjectBalance.objects.get(pk=project.pk).raised == 5 * sum(range(1, workers + 1))
