import random

import pytest

from funding import demo
from funding.models import Donation, Entry
from funding.services.reconcile import reconcile
from portal.demo import DemoContext
from tests.factories.funding import MatchedProjectFactory

pytestmark = pytest.mark.django_db


def test_seed_large_bulk_rows_reconcile_and_are_idempotent(monkeypatch):
    monkeypatch.setattr(demo, "LARGE_DONATIONS", 1_200)
    MatchedProjectFactory(slug="bulk-project-0")
    MatchedProjectFactory(slug="bulk-project-1")
    ctx = DemoContext(size="large", rng=random.Random(3), log=lambda m: None)

    demo._seed_large(ctx)
    demo._seed_large(ctx)

    assert Donation.objects.filter(import_source="bulk-demo").count() == 1_200
    assert Entry.objects.count() == 2_400
    report = reconcile()
    assert report.problems == []
    assert report.summary["counted donations"] == 1_200
