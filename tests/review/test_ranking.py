from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from projects.enums import ProjectTier
from projects.review import ranking, services
from projects.review.enums import AssignmentStatus
from projects.review.models import Assignment, RankingEntry
from projects.review.ranking import Ranked, ReviewTotal
from tests.factories.review import ApplicationFactory, make_rubric


def _submit(application, reviewer, values, rubric):
    assignment = Assignment.objects.create(
        application=application, reviewer=reviewer, status=AssignmentStatus.ACCEPTED
    )
    criteria = list(rubric.criteria.all())
    return services.save_review(
        assignment=assignment,
        by=reviewer,
        recommendation="fund",
        submit=True,
        scores={c.pk: Decimal(v) for c, v in zip(criteria, values, strict=True)},
    )


@pytest.fixture
def scenario(call, config, reviewers):
    """Rubric C1 weight 60, C2 weight 40, both 0–10: total = 6·v1 + 4·v2, range 0–100.

    Reviewer A (lenient) scores P 90 and R 70; reviewer B (harsh) scores Q 60, S 40, R 20.
    """
    rubric = config.rubric
    a, b = reviewers[0], reviewers[1]
    base = timezone.now()
    apps = {
        name: ApplicationFactory(call=call, title=name, submitted_at=base + timedelta(minutes=i))
        for i, name in enumerate("PQRS")
    }
    for app, reviewer, v in [("P", a, 9), ("R", a, 7), ("Q", b, 6), ("S", b, 4), ("R", b, 2)]:
        _submit(apps[app], reviewer, [v, v], rubric)
    config.funded_count, config.reserve_count = 1, 2
    config.reviewers_per_application = 1
    config.save()
    return apps


def test_rank_call_normalises_per_reviewer_with_hand_computed_values(call, scenario):
    """Totals: A = {P 90, R 70}: μ 80, σ 10.  B = {Q 60, S 40, R 20}: μ 40, σ = √(800/3).
    All five totals 90, 70, 60, 40, 20: M = 56, S = √584 = 24.166092.
    n(P) = 56 + √584 · (90−80)/10 = 80.166092.
    n(Q) = 56 + √584 · 20/√(800/3) = 56 + √876 = 85.597297.
    n(S) = 56 + √584 · 0 = 56.
    n(R) = mean(56 − √584, 56 − √876) = 56 − 26.8816945 = 29.1183055.
    Raw means put P (90) above Q (60); normalisation puts Q first.
    R spread 70 − 20 = 50 > threshold 20 → disagreement.
    Tiers: funded 1 → Q; reserve 2 → P, S — but S (56) is below the reserve library's
    default minimum of 60 → not funded; R not funded.
    """
    entries = services.rank_call(call=call)

    got = {
        e.application.title: e
        for e in RankingEntry.objects.filter(call=call).select_related("application")
    }
    assert [e.application_id for e in entries] == [scenario[t].pk for t in "QPSR"]
    assert got["Q"].normalised == Decimal("85.5973")
    assert got["P"].normalised == Decimal("80.1661")
    assert got["S"].normalised == Decimal("56.0000")
    assert got["R"].normalised == Decimal("29.1183")
    assert (got["R"].mean, got["R"].median, got["R"].spread) == (
        Decimal("45.0000"),
        Decimal("45.0000"),
        Decimal("50.0000"),
    )
    assert [got[t].disagreement for t in "PQRS"] == [False, False, True, False]
    assert [got[t].tier for t in "QPSR"] == [
        ProjectTier.FUNDED_MATCHED,
        ProjectTier.RESERVE,
        ProjectTier.NOT_FUNDED,
        ProjectTier.NOT_FUNDED,
    ]
    assert [got[t].rank for t in "QPSR"] == [1, 2, 3, 4]


def test_rank_call_twice_replaces_entries(call, scenario):
    services.rank_call(call=call)

    services.rank_call(call=call)

    assert RankingEntry.objects.filter(call=call).count() == 4


def test_rank_call_command_prints_rank_application_score_tier(call, scenario, capsys):
    call_command("rank_call", call.slug)

    out = capsys.readouterr().out.splitlines()
    assert out[1].split() == ["1", f"#{scenario['Q'].pk}", "Q", "85.5973", "funded_matched"]
    assert out[-1].startswith("4 applications ranked")


def test_rank_call_command_by_id_matches_slug(call, scenario, capsys):
    call_command("rank_call", str(call.pk))

    assert "85.5973" in capsys.readouterr().out


def test_review_totals_leave_independent_criteria_out(call, config, reviewers):
    """Weights 60, 40 and an independent 10; scores 5, 10, 10:
    total = 60·5/10 + 40·10/10 = 30 + 40 = 70 (the independent 10 is not counted)."""
    rubric = make_rubric((60, 40, 10), independent=(2,))
    config.rubric = rubric
    config.save()
    application = ApplicationFactory(call=call)

    review = _submit(application, reviewers[0], [5, 10, 10], rubric)

    assert review.total == Decimal("70.00")
    assert [t.total for t in ranking.review_totals(call.pk)] == [70.0]
    assert rubric.max_total() == Decimal(100)


def _rank(totals, **kwargs):
    defaults = {
        "submitted_at": {},
        "max_total": 100.0,
        "threshold": Decimal(20),
        "drop_extremes": False,
        "tiers": ranking.Tiers(funded_count=0, reserve_count=0),
    }
    return ranking.rank(totals=totals, **{**defaults, **kwargs})


def test_rank_single_review_reviewers_keep_raw_totals_and_key_criterion_breaks_tie():
    """Each reviewer has one review (σ = 0) → normalised = raw total: both 80.
    Medians equal (80); key criterion 9 beats 8 → application 2 first."""
    totals = [ReviewTotal(1, 11, 1, 80.0, 8.0), ReviewTotal(2, 12, 2, 80.0, 9.0)]

    result = _rank(totals)

    assert [(r.application_id, r.normalised) for r in result] == [
        (2, Decimal("80.0000")),
        (1, Decimal("80.0000")),
    ]


def test_sort_key_breaks_ties_by_median_key_submission_then_id():
    now = timezone.now()

    def entry(app_id, median, key, submitted):
        return Ranked(
            application_id=app_id,
            n_reviews=1,
            mean=Decimal(0),
            median=median,
            normalised=Decimal(50),
            key_score=key,
            spread=Decimal(0),
            disagreement=False,
            first_submitted_at=submitted,
        )

    entries = [
        entry(6, Decimal(60), Decimal(7), now),
        entry(5, Decimal(60), Decimal(7), now),
        entry(4, Decimal(60), Decimal(7), None),
        entry(3, Decimal(60), Decimal(7), now - timedelta(hours=1)),
        entry(2, Decimal(60), None, now - timedelta(days=9)),
        entry(1, Decimal(70), Decimal(1), now),
    ]

    ordered = [e.application_id for e in sorted(entries, key=ranking.sort_key)]

    assert ordered == [1, 3, 5, 6, 4, 2]


def test_rank_drops_highest_and_lowest_with_five_reviews():
    """Five single-review reviewers (normalised = raw): 10, 50, 60, 70, 100.
    Without dropping: mean = 290/5 = 58. Dropping 10 and 100: (50+60+70)/3 = 60.
    Median 60 either way; spread 90 > 20 → disagreement."""
    totals = [
        ReviewTotal(i, 100 + i, 1, t, None) for i, t in enumerate([10.0, 50.0, 60.0, 70.0, 100.0])
    ]

    kept = _rank(totals)[0]
    dropped = _rank(totals, drop_extremes=True)[0]

    assert (kept.mean, kept.normalised, kept.median) == (
        Decimal("58.0000"),
        Decimal("58.0000"),
        Decimal("60.0000"),
    )
    assert (dropped.mean, dropped.normalised, dropped.median) == (
        Decimal("60.0000"),
        Decimal("60.0000"),
        Decimal("60.0000"),
    )
    assert dropped.disagreement is True


def test_rank_keeps_all_reviews_below_five_even_when_dropping():
    """Four reviews 10, 50, 60, 100: mean 220/4 = 55 with or without drop_extremes."""
    totals = [ReviewTotal(i, 100 + i, 1, t, None) for i, t in enumerate([10.0, 50.0, 60.0, 100.0])]

    assert _rank(totals, drop_extremes=True)[0].mean == Decimal("55.0000")


def test_normalised_is_clamped_to_rubric_range():
    """Reviewer 1: 0 and 100 (μ 50, σ 50, z = −1, +1); reviewer 2: 0 and 2 (μ 1, σ 1).
    All: 0, 100, 0, 2 → M = 25.5; squared deviations 650.25 + 5550.25 + 650.25 + 552.25
    = 7403, /4 = 1850.75, S = 43.0203. z = +1 → 68.5203 > max 60 → 60;
    z = −1 → 25.5 − 43.0203 = −17.5203 < 0 → 0."""
    totals = [
        ReviewTotal(1, 1, 1, 0.0, None),
        ReviewTotal(2, 1, 2, 100.0, None),
        ReviewTotal(3, 2, 3, 0.0, None),
        ReviewTotal(4, 2, 4, 2.0, None),
    ]

    result = ranking.normalise(totals, max_total=60.0)

    assert result == {1: 0.0, 2: 60.0, 3: 0.0, 4: 60.0}


def test_tier_for_boundaries():
    config = ranking.Tiers(funded_count=2, reserve_count=1)
    tiers = [ranking.tier_for(p, Decimal(90), config) for p in (1, 2, 3, 4)]

    assert tiers == [
        ProjectTier.FUNDED_MATCHED,
        ProjectTier.FUNDED_MATCHED,
        ProjectTier.RESERVE,
        ProjectTier.NOT_FUNDED,
    ]


def test_reviewer_with_identical_totals_keeps_raw_despite_float_noise():
    """Reviewer 1 gives 70.1 three times: σ is 0 in exact arithmetic but float sums leave
    ~1e-14; that must not be read as a spread (z would explode) → normalised = 70.1."""
    totals = [ReviewTotal(i, 1, i, 70.1, None) for i in range(1, 4)] + [
        ReviewTotal(9, 2, 9, 10.0, None),
        ReviewTotal(10, 2, 10, 90.0, None),
    ]

    result = ranking.normalise(totals, max_total=100.0)

    assert [result[i] for i in (1, 2, 3)] == [70.1, 70.1, 70.1]
