import pytest
from django.core.management import call_command
from django.utils import timezone

from funding.enums import DonationSource, DonationStatus, MatchingMode
from funding.models import LedgerTransaction, Settlement, SettlementLine
from funding.services.donations import mark_succeeded
from funding.services.matching import pool_available
from funding.services.reconcile import reconcile
from funding.services.settlement import commit_settlement, plan_settlement
from projects.enums import ProjectStatus, ProjectTier
from tests.factories.funding import (
    DonationFactory,
    MatchedProjectFactory,
    MatchingRuleFactory,
    funded_pool,
    make_call,
)

pytestmark = pytest.mark.django_db


def _give(project, amount, source=DonationSource.STRIPE):
    donation = DonationFactory(project=project, amount=amount, source=source)
    mark_succeeded(donation=donation, amount_received=amount, currency="CNY", at=timezone.now())
    return donation


@pytest.fixture
def setup():
    call = make_call()
    MatchingRuleFactory(call=call, mode=MatchingMode.SETTLEMENT, cap_per_project=30_000)
    a, b = MatchedProjectFactory(slug="proj-a"), MatchedProjectFactory(slug="proj-b")
    reserve = MatchedProjectFactory(slug="proj-r", tier=ProjectTier.RESERVE)
    _give(a, 10_000)
    _give(a, 5_000)
    _give(b, 50_000)
    _give(reserve, 10_000)
    return call, a, b


def test_plan_settlement_enough_pool_applies_ratio_and_cap(setup):
    call, a, b = setup
    funded_pool(100_000, call=call)

    plan = plan_settlement(call=call)

    assert [(r.project.slug, r.eligible, r.amount) for r in plan.rows] == [
        ("proj-a", 15_000, 15_000),
        ("proj-b", 50_000, 30_000),
    ]
    assert plan.is_pro_rata is False


def test_terminated_project_takes_no_part_in_settlement(setup):
    call, a, b = setup
    funded_pool(100_000, call=call)
    b.status = ProjectStatus.TERMINATED
    b.save(update_fields=["status"])

    plan = plan_settlement(call=call)

    assert [(r.project.slug, r.eligible, r.amount) for r in plan.rows] == [
        ("proj-a", 15_000, 15_000)
    ]


def test_plan_settlement_short_pool_is_pro_rata(setup):
    call, a, b = setup
    funded_pool(20_000, call=call, priority=1)
    funded_pool(2_500, call=call, priority=2)

    plan = plan_settlement(call=call)

    assert [r.amount for r in plan.rows] == [7_500, 15_000]
    assert plan.is_pro_rata is True
    assert plan.total <= 22_500


def test_commit_settlement_twice_writes_once(setup):
    call, a, b = setup
    pool = funded_pool(100_000, call=call)

    first, created1 = commit_settlement(call=call)
    second, created2 = commit_settlement(call=call)

    assert (first.pk, created1, created2) == (second.pk, True, False)
    assert SettlementLine.objects.count() == 2
    assert LedgerTransaction.objects.filter(kind="settlement").count() == 2
    assert pool_available(pool) == 55_000
    assert reconcile().ok


def test_settle_matching_command_dry_run_writes_nothing(setup, capsys):
    call, a, b = setup
    funded_pool(100_000, call=call)

    call_command("settle_matching", call.slug)

    out = capsys.readouterr().out
    assert "proj-b" in out and "¥300.00" in out
    assert "dry run: nothing written" in out
    assert Settlement.objects.count() == 0


def test_settle_matching_command_commit(setup, capsys):
    call, a, b = setup
    funded_pool(100_000, call=call)

    call_command("settle_matching", str(call.pk), "--commit")
    call_command("settle_matching", str(call.pk), "--commit")

    out = capsys.readouterr().out
    assert "committed settlement" in out
    assert "already committed" in out
    assert Settlement.objects.get().total == 45_000


def test_settlement_excludes_unsucceeded_money(setup):
    call, a, b = setup
    funded_pool(100_000, call=call)
    DonationFactory(project=a, amount=99_000, status=DonationStatus.PENDING)

    plan = plan_settlement(call=call)

    assert plan.rows[0].eligible == 15_000


def test_settlement_results_page_published_after_commit(setup, client):
    call, a, b = setup
    funded_pool(100_000, call=call)
    before = client.get(f"/en/matching-results/{call.pk}/").content.decode()

    commit_settlement(call=call)
    after = client.get(f"/matching-results/{call.pk}/").content.decode()

    assert "have not been published yet" in before
    assert "配捐结果" in after
    assert a.title in after and "¥300.00" in after


def test_wallet_gifts_count_toward_settlement_like_card_gifts():
    call = make_call()
    MatchingRuleFactory(call=call, mode=MatchingMode.SETTLEMENT, cap_per_project=100_000)
    project = MatchedProjectFactory(slug="proj-w")
    _give(project, 10_000, source=DonationSource.WECHATPAY)
    _give(project, 20_000, source=DonationSource.ALIPAY)
    _give(project, 5_000, source=DonationSource.STRIPE)
    funded_pool(100_000, call=call)

    plan = plan_settlement(call=call)

    assert [(r.project.slug, r.eligible, r.amount) for r in plan.rows] == [
        ("proj-w", 35_000, 35_000)
    ]
