"""Helpers for the public pages and the API: money goes in through funding's services,
so every figure the tests read comes from the real ledger."""

import pytest


@pytest.fixture
def give(db):
    """``give(project, amount, pool=None, **donation_fields)`` — a succeeded donation,
    matched live from ``pool`` when given (the project's call needs a matching rule)."""
    from funding.services.donations import mark_succeeded
    from funding.services.matching import reserve_match
    from tests.factories.funding import DonationFactory

    def _give(project, amount, *, matched=False, **fields):
        donation = DonationFactory(project=project, amount=amount, **fields)
        if matched:
            reserve_match(donation=donation)
        mark_succeeded(donation=donation, amount_received=amount, currency="CNY")
        return donation

    return _give


@pytest.fixture
def live_matching(db):
    """``live_matching(call, pool_amount, sponsor_name=..., is_public=True)``: a running
    live-matching campaign on ``call`` with a 1:1 pool; returns the pool."""
    from tests.factories.funding import MatchingRuleFactory, SponsorFactory, funded_pool

    def _live(call, amount, *, sponsor_name="市慈善基金会", is_public=True):
        MatchingRuleFactory(call=call)
        sponsor = SponsorFactory(name=sponsor_name, is_public=is_public)
        return funded_pool(amount, call=call, sponsor=sponsor)

    return _live
