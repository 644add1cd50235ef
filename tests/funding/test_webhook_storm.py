"""Webhook storm (small): 300 signed deliveries, 30 % duplicates, shuffled, 5 % badly
signed → every good gift counted once, bad ones refused with 400, reconcile clean.
The 10,000-event version is ``bench/webhook_storm_bench.py``."""

import pytest

from .storm import WEBHOOK_SECRET, build, deliver, setup_gifts, verify

N = 300


@pytest.fixture
def webhook_secret(settings):
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_SECRET_KEY = "sk_test_fake"


def _check(storm, counts):
    bad = sum(1 for *_x, kind in storm.deliveries if kind == "bad")
    assert len(storm.deliveries) == N
    assert bad == N * 5 // 100
    assert counts.get(("bad", 400)) == bad
    assert counts.get(("good", 200)) == storm.unique_events
    assert counts.get(("dup", 200)) == N * 30 // 100
    assert set(counts) == {("bad", 400), ("good", 200), ("dup", 200)}
    assert verify(storm) == []


@pytest.mark.django_db
def test_webhook_storm_counts_every_good_gift_once(webhook_secret):
    storm = build(N, lambda count: setup_gifts(count, tag="storm"), seed=3)

    _elapsed, counts = deliver(storm.deliveries)

    _check(storm, counts)
    assert len(storm.refunds) > 0 and len(storm.forged_only) > 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_webhook_storm_with_concurrent_deliveries(webhook_secret):
    storm = build(N, lambda count: setup_gifts(count, tag="pgstorm"), seed=4)

    _elapsed, counts = deliver(storm.deliveries, workers=4)

    _check(storm, counts)
