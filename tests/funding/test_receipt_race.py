"""Receipt serial numbers under concurrent issuance on PostgreSQL (real threads; see
tests/funding/conftest.py): every counted gift gets its own number, the numbers of the
year run 1..N without a gap, and a transaction that rolls back after taking a number
gives it back."""

import pytest
from django.db import transaction
from django.utils import timezone

from funding.models import Receipt, ReceiptCounter
from funding.services.donations import mark_succeeded
from funding.services.receipts import next_receipt_number
from tests.factories.funding import DonationFactory, MatchedProjectFactory

from .threads import run_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKERS = 10


class Abandoned(Exception):
    pass


def test_concurrent_issues_number_every_receipt_once_without_gaps():
    projects = [MatchedProjectFactory(slug=f"race-{i}") for i in range(WORKERS)]
    gifts = [DonationFactory(project=p, amount=1_000 + i) for i, p in enumerate(projects)]
    year = timezone.localdate().year

    def pay(gift):
        mark_succeeded(donation=gift, amount_received=gift.amount, currency="CNY")

    def abandon():
        # Takes a number, then its transaction fails: the number must not be lost.
        with transaction.atomic():
            next_receipt_number(series="", year=year)
            raise Abandoned

    errors = run_threads(
        lambda kind, gift: pay(gift) if kind == "pay" else abandon(),
        [("pay", gift) for gift in gifts] + [("abandon", None), ("abandon", None)],
    )

    numbers = sorted(Receipt.objects.values_list("number", flat=True))
    assert sorted(errors) == ["Abandoned()", "Abandoned()"]
    assert numbers == [f"{year}-{n:06d}" for n in range(1, WORKERS + 1)]
    assert ReceiptCounter.objects.get(series="", year=year).last == WORKERS
