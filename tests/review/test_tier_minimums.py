"""A minimum score per tier and ties at a cut decided by the review committee (#15).

Every expected value is computed by hand in the docstrings: each reviewer has one review,
so σ = 0 and the normalised score is the review's own total (docs/review.md)."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from wagtail.models import PageLogEntry

from projects.enums import ProjectTier
from projects.review import ranking, services
from projects.review.enums import AssignmentStatus
from projects.review.models import Assignment, Decision, RankingEntry, TieDecision
from projects.review.ranking import ReviewTotal, Tiers
from tests.factories.review import ApplicationFactory, make_reviewer

F, R, N = ProjectTier.FUNDED_MATCHED, ProjectTier.RESERVE, ProjectTier.NOT_FUNDED


def _rank(scores: dict[int, float], tiers: Tiers, orders=()) -> dict[int, tuple[int, str]]:
    """application id → (rank, tier); one review per application, each by its own reviewer."""
    totals = [ReviewTotal(app, 100 + app, app, score, None) for app, score in scores.items()]
    entries = ranking.rank(
        totals=totals,
        submitted_at={},
        max_total=100.0,
        threshold=Decimal(20),
        drop_extremes=False,
        tiers=tiers,
        committee_orders=list(orders),
    )
    return {e.application_id: (e.rank, e.tier) for e in entries}


def test_an_application_below_the_reserve_minimum_gets_no_reserve_place():
    """85, 72, 65, 59.99 → places 1–2 funded, 3–4 reserve; 59.99 < 60 → not funded."""
    tiers = Tiers(2, 2, funded_min=Decimal(60), reserve_min=Decimal(60))

    result = _rank({1: 85.0, 2: 72.0, 3: 59.99, 4: 65.0}, tiers)

    assert result == {1: (1, F), 2: (2, F), 4: (3, R), 3: (4, N)}


def test_an_application_below_the_funding_minimum_falls_to_the_reserve_library():
    """Funding needs 75: 72 at place 2 is within the funded places but below 75, and it
    meets the reserve minimum 60 within the reserve places → reserve. The free funded
    place is not handed to 65 (lower still)."""
    tiers = Tiers(2, 2, funded_min=Decimal(75), reserve_min=Decimal(60))

    result = _rank({1: 85.0, 2: 72.0, 3: 59.99, 4: 65.0}, tiers)

    assert result == {1: (1, F), 2: (2, R), 4: (3, R), 3: (4, N)}


def test_minimums_are_points_out_of_100_rescaled_to_the_rubric():
    """Rubric range 0–50: 60 of 100 is 30 on the rubric's scale; 31 ≥ 30 > 29.5."""
    config = SimpleNamespace(
        funded_count=2, reserve_count=0, funded_min_score=Decimal(60), reserve_min_score=Decimal(60)
    )
    tiers = Tiers.of(config, Decimal(50))

    result = _rank({1: 31.0, 2: 29.5}, tiers)

    assert (tiers.funded_min, tiers.reserve_min) == (Decimal("30.0000"), Decimal("30.0000"))
    assert result == {1: (1, F), 2: (2, N)}


def test_equal_scores_split_by_the_funding_cut_are_a_tie_for_the_committee():
    """80, 70, 70 with one funded and one reserve place: the two 70s are split (place 2
    reserve, place 3 not funded) by the application id alone."""
    totals = [ReviewTotal(a, 100 + a, a, s, None) for a, s in ((1, 80.0), (2, 70.0), (3, 70.0))]
    entries = ranking.rank(
        totals=totals,
        submitted_at={},
        max_total=100.0,
        threshold=Decimal(20),
        drop_extremes=False,
        tiers=Tiers(1, 1),
    )

    ties = ranking.cut_ties(entries)

    assert [[(e.application_id, e.rank, e.tier) for e in g] for g in ties] == [
        [(2, 2, R), (3, 3, N)]
    ]


def test_equal_scores_inside_one_tier_or_both_below_the_minimum_are_no_tie_at_a_cut():
    """70, 70 both funded (two places); 50, 50 split by places but both below 60 → both
    not funded: the tiers do not split them."""
    inside = _rank({1: 70.0, 2: 70.0}, Tiers(2, 0))
    totals = [ReviewTotal(a, 100 + a, a, 50.0, None) for a in (1, 2)]
    below = ranking.rank(
        totals=totals,
        submitted_at={},
        max_total=100.0,
        threshold=Decimal(20),
        drop_extremes=False,
        tiers=Tiers(1, 0, funded_min=Decimal(60), reserve_min=Decimal(60)),
    )

    assert inside == {1: (1, F), 2: (2, F)}
    assert ranking.cut_ties(below) == []


def test_the_committee_order_decides_a_tie_and_leaves_other_places_alone():
    """Committee puts 3 before 2: 3 takes place 2 (reserve), 2 place 3; 1 keeps place 1."""
    result = _rank({1: 80.0, 2: 70.0, 3: 70.0}, Tiers(1, 1), orders=[[3, 2]])

    assert result == {1: (1, F), 3: (2, R), 2: (3, N)}


# --- through the services ---------------------------------------------------------------------


pytestmark_db = pytest.mark.django_db


def _review(application, reviewer, value):
    assignment = Assignment.objects.create(
        application=application, reviewer=reviewer, status=AssignmentStatus.ACCEPTED
    )
    criteria = application.call.review_settings.rubric.criteria.all()
    return services.save_review(
        assignment=assignment,
        by=reviewer,
        recommendation="fund",
        submit=True,
        scores={c.pk: Decimal(value) for c in criteria},
    )


@pytest.fixture
def tied(call, config):
    """One review each (rubric 60/40, both criteria scored alike: total = 10 × value):
    A 9 → 90, B 7 → 70, C 7 → 70. One funded place, one reserve place: B and C tie at
    the reserve cut."""
    config.reviewers_per_application = 1
    config.funded_count, config.reserve_count = 1, 1
    config.save()
    apps = {name: ApplicationFactory(call=call, title=f"项目{name}") for name in "ABC"}
    for i, (name, value) in enumerate((("A", 9), ("B", 7), ("C", 7))):
        _review(apps[name], make_reviewer(username=f"tie-rev{i}", is_staff=True), value)
    return apps


@pytestmark_db
def test_publication_waits_for_the_committee_on_a_tie_at_a_cut(call, tied, officer):
    services.rank_call(call=call, by=officer)

    with pytest.raises(ValidationError) as error:
        services.publish_results(call=call, by=officer)

    assert error.value.messages == [
        "Applications tie at a funding or reserve cut; record the review committee's "
        "decision on their order before publishing.",
        "Tied: 项目B、项目C.",
    ]
    assert not Decision.objects.filter(call=call).exists()


@pytestmark_db
def test_committee_decision_is_recorded_applied_and_then_published(call, tied, officer):
    services.rank_call(call=call, by=officer)
    b, c = tied["B"].pk, tied["C"].pk

    decision = services.decide_tie(call=call, order=[c, b], reason="C 的社区参与更充分", by=officer)
    published = services.publish_results(call=call, by=officer)

    entries = dict(RankingEntry.objects.filter(call=call).values_list("application_id", "tier"))
    decisions = dict(Decision.objects.filter(call=call).values_list("application_id", "rank"))
    assert (decision.applications, decision.reason, decision.decided_by) == (
        [c, b],
        "C 的社区参与更充分",
        officer,
    )
    assert entries == {tied["A"].pk: F, c: R, b: N}
    assert (published, decisions) == (3, {tied["A"].pk: 1, c: 2, b: 3})
    log = PageLogEntry.objects.get(action="review.tie.decide", page=call)
    assert log.data == {"applications": [c, b], "reason": "C 的社区参与更充分"}


@pytestmark_db
@pytest.mark.parametrize(
    ("order", "reason", "field", "message"),
    [
        ("BB", "理由", "order", "List each of the tied applications exactly once."),
        ("AB", "理由", "order", "List each of the tied applications exactly once."),
        ("BC", "  ", "reason", "Record the committee's reasons."),
    ],
)
def test_decide_tie_refuses_bad_input_and_changes_nothing(
    call, tied, officer, order, reason, field, message
):
    services.rank_call(call=call, by=officer)
    before = list(RankingEntry.objects.filter(call=call).values_list("application_id", "rank"))

    with pytest.raises(ValidationError) as error:
        services.decide_tie(call=call, order=[tied[n].pk for n in order], reason=reason, by=officer)

    assert error.value.message_dict == {field: [message]}
    assert not TieDecision.objects.exists()
    assert list(RankingEntry.objects.filter(call=call).values_list("application_id", "rank")) == (
        before
    )


@pytestmark_db
def test_decide_tie_is_for_programme_staff_only(call, tied, officer):
    services.rank_call(call=call, by=officer)
    reviewer = make_reviewer(username="tie-outsider", is_staff=True)

    with pytest.raises(PermissionDenied):
        services.decide_tie(
            call=call, order=[tied["C"].pk, tied["B"].pk], reason="理由", by=reviewer
        )

    assert not TieDecision.objects.exists()


@pytestmark_db
def test_progress_page_lists_the_tie_and_records_the_decision_in_chinese(
    client, call, tied, officer
):
    officer.is_staff = True
    officer.save(update_fields=["is_staff"])
    services.rank_call(call=call, by=officer)
    client.force_login(officer)
    url = reverse("review:progress", args=[call.pk])
    b, c = tied["B"].pk, tied["C"].pk

    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    bad = client.post(
        url,
        {
            "action": "decide_tie",
            "tie": "0",
            "tie0-place_1": b,
            "tie0-place_2": b,
            "tie0-reason": "",
        },
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    gone = client.post(url, {"action": "decide_tie", "tie": "7"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    good = client.post(
        url,
        {
            "action": "decide_tie",
            "tie": "0",
            "tie0-place_1": c,
            "tie0-place_2": b,
            "tie0-reason": "评审委员会表决",
        },
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )

    assert "排名分界处的同分" in page.content.decode()
    assert bad.status_code == 400
    assert "请填写评审委员会的理由。" in bad.content.decode()
    assert "每个同分申请须且只能列出一次。" in bad.content.decode()
    assert gone.status_code == 302
    assert good.status_code == 302
    assert TieDecision.objects.get().applications == [c, b]
    assert RankingEntry.objects.get(application_id=c).rank == 2


@pytestmark_db
def test_settings_form_refuses_a_minimum_above_100_with_a_message(client, call, config, officer):
    officer.is_staff = True
    officer.save(update_fields=["is_staff"])
    client.force_login(officer)
    data = {
        "call": call.pk,
        "rubric": config.rubric_id,
        "reviewers_per_application": 2,
        "score_visibility": "never",
        "deadline": "",
        "disagreement_threshold": "20",
        "funded_count": 1,
        "reserve_count": 1,
        "funded_min_score": "150",
        "reserve_min_score": "60",
        "appeal_days": 7,
    }

    response = client.post(
        reverse("review_settings:edit", args=[config.pk]), data, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )

    config.refresh_from_db()
    assert response.status_code == 200
    assert "确保该值小于或等于100。" in response.content.decode()
    assert config.funded_min_score == Decimal(60)
