from decimal import Decimal

import pytest

from projects.evaluation import services
from projects.evaluation.enums import AdjustmentKind, Grade, grade_for
from projects.evaluation.models import EvaluationRubric


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        ("100", Grade.EXCELLENT),
        ("90", Grade.EXCELLENT),
        ("90.00", Grade.EXCELLENT),
        ("89.99", Grade.GOOD),
        ("80", Grade.GOOD),
        ("79.99", Grade.FAIR),
        ("60", Grade.FAIR),
        ("59.99", Grade.FAIL),
        ("0", Grade.FAIL),
    ],
)
def test_grade_band_boundaries_are_exact(score, grade):
    assert grade_for(Decimal(score)) == grade


def test_mean_score_rounds_half_up_to_the_cent():
    assert services.mean_score([Decimal("89.99"), Decimal("90.00")]) == Decimal("90.00")
    assert services.mean_score([Decimal("80"), Decimal("80"), Decimal("81")]) == Decimal("80.33")
    assert services.mean_score([Decimal("59.99")]) == Decimal("59.99")


def test_total_is_kept_between_zero_and_the_rubric_maximum(rubric):
    high = services.compute_total(
        rubric=rubric, base=Decimal(98), bonus=Decimal(5), penalty=Decimal(0)
    )
    low = services.compute_total(
        rubric=rubric, base=Decimal(4), bonus=Decimal(0), penalty=Decimal(10)
    )
    plain = services.compute_total(
        rubric=rubric, base=Decimal("85.5"), bonus=Decimal(3), penalty=Decimal("1.5")
    )

    assert (high, low, plain) == (Decimal(100), Decimal(0), Decimal("87.0"))


@pytest.mark.parametrize("raw", ["abc", "NaN", "Infinity", "1.234"])
def test_parse_points_refuses_non_numbers_and_more_than_two_decimals(raw, english):
    with pytest.raises(Exception) as info:
        services.parse_points(raw)

    assert info.type.__name__ == "ValidationError"


def test_parse_points_reads_numbers_and_empty():
    assert services.parse_points(" 12.5 ") == Decimal("12.5")
    assert services.parse_points("") is None


def test_default_rubric_is_seeded_bilingual_with_100_points_and_bounded_items(db):
    rubric = EvaluationRubric.objects.get(code="default", version=1)

    dimensions = [(d.name, d.name_en, d.max_score) for d in rubric.dimensions.all()]
    bonus = [i for i in rubric.adjustment_items.all() if i.kind == AdjustmentKind.BONUS]
    penalty = [i for i in rubric.adjustment_items.all() if i.kind == AdjustmentKind.PENALTY]

    assert dimensions == [
        ("项目管理", "Project management", Decimal(25)),
        ("财务管理", "Financial management", Decimal(20)),
        ("项目成效", "Project outcomes", Decimal(35)),
        ("社会影响与可持续", "Social impact and sustainability", Decimal(20)),
    ]
    assert rubric.max_total() == Decimal(100)
    assert (rubric.bonus_cap, rubric.penalty_cap) == (Decimal(5), Decimal(10))
    assert len(bonus) == 3 and len(penalty) == 3
    assert all(i.name_en for i in rubric.adjustment_items.all())
    assert services.default_rubric() == rubric
    assert rubric.display_name("en") == "Charity project evaluation rubric"
