"""Rank-tiered settlement ratios, with figures computed by hand."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from funding.enums import DonationSource, MatchingMode
from funding.models import SettlementLine, SettlementTier
from funding.models.matching import ratio_label
from funding.services.donations import mark_succeeded
from funding.services.reconcile import reconcile
from funding.services.settlement import commit_settlement, largest_remainder, plan_settlement
from projects.review.models import Decision, RankingEntry
from tests.factories.funding import (
    DonationFactory,
    MatchedProjectFactory,
    MatchingRuleFactory,
    funded_pool,
    make_call,
)
from tests.factories.organizations import UserFactory
from tests.factories.review import ApplicationFactory

pytestmark = pytest.mark.django_db


def _give(project, amount):
    donation = DonationFactory(project=project, amount=amount, source=DonationSource.STRIPE)
    mark_succeeded(donation=donation, amount_received=amount, currency="CNY", at=timezone.now())


def _ranked(call, project, rank):
    """The review app's stored ranking entry and the decision that created ``project``."""
    application = ApplicationFactory(call=call, organization=project.organization)
    RankingEntry.objects.create(
        call=call,
        application=application,
        rank=rank,
        n_reviews=3,
        mean=Decimal(8),
        median=Decimal(8),
        normalised=Decimal(80),
        spread=Decimal(1),
        tier=project.tier,
    )
    Decision.objects.create(
        application=application,
        call=call,
        rank=rank,
        normalised=Decimal(80),
        tier=project.tier,
        project=project,
        published_at=timezone.now(),
    )


@pytest.fixture
def tiered():
    """Ranks 1–2 at 1:1, rank 3 at 1:0.5; D is unranked. Eligible money:
    A (rank 1) 10,001 fen, B (rank 2) 5,000, C (rank 3) 7,001, D 4,000."""
    call = make_call("tiered-call")
    rule = MatchingRuleFactory(call=call, mode=MatchingMode.SETTLEMENT, ratio_num=1, ratio_den=1)
    SettlementTier.objects.create(rule=rule, rank_from=1, rank_to=2, ratio_num=1, ratio_den=1)
    SettlementTier.objects.create(rule=rule, rank_from=3, rank_to=3, ratio_num=1, ratio_den=2)
    projects = {}
    for name, rank, amount in (
        ("a", 1, 10_001),
        ("b", 2, 5_000),
        ("c", 3, 7_001),
        ("d", None, 4_000),
    ):
        project = MatchedProjectFactory(slug=f"tier-{name}", call=call)
        if rank:
            _ranked(call, project, rank)
        _give(project, amount)
        projects[name] = project
    return call, rule, projects


def _rows(plan):
    return [
        (r.project.slug, r.rank, r.tier_label, r.ratio_label, r.eligible, r.amount)
        for r in plan.rows
    ]


def test_tiers_set_the_ratio_by_rank(tiered):
    call, _rule, _ = tiered
    funded_pool(100_000, call=call)

    plan = plan_settlement(call=call)

    # C: floor(7,001 × 1/2) = 3,500; D has no rank → no tier → no match.
    assert _rows(plan) == [
        ("tier-a", 1, "1–2", "1:1", 10_001, 10_001),
        ("tier-b", 2, "1–2", "1:1", 5_000, 5_000),
        ("tier-c", 3, "3–3", "1:0.5", 7_001, 3_500),
        ("tier-d", None, "—", "1:0", 4_000, 0),
    ]
    assert plan.needed == 18_501 and plan.is_pro_rata is False


def test_short_pool_is_pro_rata_by_largest_remainder(tiered):
    call, _rule, _ = tiered
    funded_pool(6_000, call=call, priority=1)
    funded_pool(4_000, call=call, priority=2)

    plan = plan_settlement(call=call)

    # needed 18,501, pools 10,000. Exact shares ×10,000/18,501:
    #   A 100,010,000/18,501 = 5,405 r 12,095   B 50,000,000/18,501 = 2,702 r 10,298
    #   C  35,000,000/18,501 = 1,891 r 14,609   floors sum 9,998 → 2 fen left over,
    #   to the largest remainders C then A.
    assert [r.amount for r in plan.rows] == [5_406, 2_702, 1_892, 0]
    assert plan.total == 10_000
    assert plan.is_pro_rata is True


def test_commit_tiered_settlement_reconciles(tiered):
    call, _rule, projects = tiered
    funded_pool(6_000, call=call, priority=1)
    funded_pool(4_000, call=call, priority=2)

    settlement, created = commit_settlement(call=call)

    assert created and settlement.total == 10_000
    per_project = {
        p: sum(SettlementLine.objects.filter(project=projects[p]).values_list("amount", flat=True))
        for p in "abcd"
    }
    assert per_project == {"a": 5_406, "b": 2_702, "c": 1_892, "d": 0}
    assert projects["a"].balance.matched == 5_406
    assert reconcile().ok


def test_dry_run_prints_tier_and_ratio(tiered, capsys):
    call, _rule, _ = tiered
    funded_pool(100_000, call=call)

    call_command("settle_matching", call.slug)

    out = capsys.readouterr().out
    line_c = next(line for line in out.splitlines() if line.startswith("tier-c"))
    assert line_c.split()[:4] == ["tier-c", "3", "3–3", "1:0.5"]
    assert "¥35.00" in line_c
    assert "dry run: nothing written" in out


def test_largest_remainder_never_exceeds_and_is_exact():
    assert largest_remainder([1, 1, 1], 2, 3, [(1,), (2,), (3,)]) == [1, 1, 0]
    assert largest_remainder([7_500, 15_000], 11_250, 22_500, [(1,), (2,)]) == [3_750, 7_500]
    shares = largest_remainder([333, 333, 334], 100, 1_000, [(0,), (1,), (2,)])
    assert sum(shares) == 100 and all(s <= a for s, a in zip(shares, [333, 333, 334], strict=True))


def test_ratio_labels():
    from fractions import Fraction

    assert [ratio_label(Fraction(n, d)) for n, d in ((1, 1), (1, 2), (3, 4), (2, 3), (2, 1))] == [
        "1:1",
        "1:0.5",
        "1:0.75",
        "1:2/3",
        "1:2",
    ]


def test_overlapping_tier_is_refused(tiered):
    _call, rule, _ = tiered

    with pytest.raises(ValidationError):
        SettlementTier(rule=rule, rank_from=2, rank_to=5, ratio_num=1, ratio_den=3).full_clean()


def test_finance_edits_tiers_in_admin(client, tiered):
    _call, rule, _ = tiered
    client.force_login(UserFactory(username="tier-admin", is_superuser=True, is_staff=True))

    listing = client.get("/admin/funding_settlement_tiers/")
    response = client.post(
        "/admin/funding_settlement_tiers/new/",
        {"rule": rule.pk, "rank_from": 4, "rank_to": 10, "ratio_num": 1, "ratio_den": 4},
    )
    overlapping = client.post(
        "/admin/funding_settlement_tiers/new/",
        {"rule": rule.pk, "rank_from": 8, "rank_to": 12, "ratio_num": 1, "ratio_den": 4},
    )

    assert listing.status_code == 200
    assert response.status_code == 302
    assert overlapping.status_code == 200
    assert SettlementTier.objects.filter(rule=rule).count() == 3


def test_lines_record_rank_and_ratio_and_results_show_them(tiered, client):
    call, _rule, projects = tiered
    funded_pool(100_000, call=call)

    commit_settlement(call=call)
    response = client.get(f"/matching-results/{call.pk}/")

    lines = {
        line.project.slug: (line.rank, line.ratio_label, line.amount)
        for line in SettlementLine.objects.select_related("project")
    }
    assert lines == {
        "tier-a": (1, "1:1", 10_001),
        "tier-b": (2, "1:1", 5_000),
        "tier-c": (3, "1:0.5", 3_500),
    }
    html = response.content.decode()
    rows = [row for row in html.split("<tr>") if "tier-" in row]
    # Rank order, each row with its rank and the ratio that produced its amount.
    assert [row.split("</td>")[0].rsplit(">", 1)[1] for row in rows] == ["1", "2", "3"]
    assert "<td>1:0.5</td>" in rows[2] and "¥35.00" in rows[2]


def test_untiered_settlement_shows_the_rule_ratio_without_a_rank_column(client):
    call = make_call("plain-call")
    MatchingRuleFactory(call=call, mode=MatchingMode.SETTLEMENT, ratio_num=1, ratio_den=2)
    project = MatchedProjectFactory(slug="plain-a", call=call)
    _give(project, 10_000)
    funded_pool(100_000, call=call)

    commit_settlement(call=call)
    html = client.get(f"/matching-results/{call.pk}/").content.decode()

    line = SettlementLine.objects.get()
    assert (line.rank, line.ratio_label, line.amount) == (None, "1:0.5", 5_000)
    assert "<td>1:0.5</td>" in html
    assert "review ranking" not in html and "评审排名" not in html
