"""The shared scoring core (projects/scoring) as review and evaluation use it."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from projects.evaluation.models import Assessment, DimensionScore, EvaluationRubric
from projects.review.models import Rubric
from projects.scoring import services
from projects.scoring.numbers import num, parse_number
from tests.factories.evaluation import EvaluationFactory, make_evaluator
from tests.factories.evaluation import make_rubric as make_evaluation_rubric
from tests.factories.review import make_officer, make_reviewer, make_rubric


def _fields(instance, skip=("id", "rubric", "version", "created_at")):
    return {
        f.name: getattr(instance, f.attname)
        for f in instance._meta.concrete_fields
        if f.name not in skip
    }


@pytest.fixture
def officer(db):
    return make_officer(username="scoring-officer", is_staff=True)


def test_new_version_copies_every_field_of_a_review_rubric_and_its_criteria(officer):
    rubric = make_rubric((70, 30), key_index=1, independent=(1,), description="旧版说明")
    rubric.criteria.filter(name="C1").update(
        labels={"0": "缺失", "10": "优秀"}, scale_step=Decimal("0.5"), required=False
    )

    copy = services.new_rubric_version(
        rubric=rubric, by=officer, permission="review.manage_review", action="review.rubric.version"
    )

    assert copy.version == rubric.version + 1
    assert _fields(copy) == _fields(rubric)
    assert [_fields(c) for c in copy.criteria.all()] == [_fields(c) for c in rubric.criteria.all()]
    assert rubric.criteria.count() == 2 and Rubric.objects.filter(code=rubric.code).count() == 2


def test_new_version_copies_dimensions_and_items_of_an_evaluation_rubric(officer):
    rubric = make_evaluation_rubric((40, 60), bonus=(2,), penalty=(3, 4), name_en="Old")

    copy = services.new_rubric_version(
        rubric=rubric,
        by=officer,
        permission="evaluation.manage_evaluation",
        action="evaluation.rubric.version",
    )

    assert _fields(copy) == _fields(rubric)
    assert [_fields(d) for d in copy.dimensions.all()] == [
        _fields(d) for d in rubric.dimensions.all()
    ]
    assert [_fields(i) for i in copy.adjustment_items.all()] == [
        _fields(i) for i in rubric.adjustment_items.all()
    ]


def test_new_version_refuses_a_user_without_the_permission_and_copies_nothing(db):
    rubric = make_rubric((60, 40))
    reviewer = make_reviewer(username="scoring-reviewer", is_staff=True)

    with pytest.raises(PermissionDenied):
        services.new_rubric_version(
            rubric=rubric,
            by=reviewer,
            permission="review.manage_review",
            action="review.rubric.version",
        )

    assert Rubric.objects.filter(code=rubric.code).count() == 1


def test_apply_scores_writes_rows_and_returns_only_the_changes(db):
    rubric = make_evaluation_rubric((40, 60), bonus=(), penalty=())
    evaluation = EvaluationFactory(rubric=rubric)
    sheet = Assessment.objects.create(evaluation=evaluation, evaluator=make_evaluator())
    first, second = rubric.dimensions.all()

    created = services.apply_scores(
        sheet=sheet,
        item_field="dimension",
        items=[first, second],
        values={first.pk: Decimal("30"), second.pk: Decimal("45.5")},
    )
    changed = services.apply_scores(
        sheet=sheet,
        item_field="dimension",
        items=[first, second],
        values={first.pk: Decimal("30"), second.pk: None},
    )

    assert created == {first.name: [None, "30"], second.name: [None, "45.5"]}
    assert changed == {second.name: ["45.5", None]}
    assert list(DimensionScore.objects.filter(assessment=sheet).values_list("value")) == [
        (Decimal("30.00"),)
    ]


@pytest.mark.parametrize(
    ("raw", "cents", "expected"),
    [(" 7.50 ", False, Decimal("7.50")), ("", False, None), ("0.125", False, Decimal("0.125"))],
)
def test_parse_number_reads_typed_numbers(raw, cents, expected):
    assert parse_number(raw, cents=cents) == expected


@pytest.mark.parametrize(
    ("raw", "cents", "message"),
    [
        ("abc", False, "“abc” is not a number."),
        ("NaN", False, "“NaN” is not a number."),
        ("0.125", True, "Use at most two decimal places."),
    ],
)
def test_parse_number_refuses_bad_input_with_a_message(raw, cents, message):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        parse_number(raw, cents=cents)

    assert caught.value.messages == [message]


def test_num_prints_without_trailing_zeros():
    assert [num(Decimal("10.00")), num(Decimal("7.50")), num(Decimal("0.05"))] == [
        "10",
        "7.5",
        "0.05",
    ]


def test_review_new_version_page_refuses_a_reviewer_with_the_admin_403_page(client, db):
    rubric = make_rubric((60, 40))
    client.force_login(make_reviewer(username="scoring-rev2", is_staff=True))

    response = client.post(
        reverse("review_rubrics:new_version", args=[rubric.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )

    html = response.content.decode()
    assert response.status_code == 403
    assert "只有项目工作人员可以打开此页面" in html
    assert reverse("review:queue") in html
    assert Rubric.objects.filter(code=rubric.code).count() == 1


def test_new_version_page_explains_the_copy_in_chinese(client, officer):
    rubric = make_evaluation_rubric()
    client.force_login(officer)

    response = client.get(
        reverse("evaluation_rubrics:new_version", args=[rubric.pk]),
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )

    assert response.status_code == 200
    assert f"第 {rubric.version} 版连同其评估维度和加扣分项复制为可编辑的新版本" in (
        response.content.decode()
    )
    assert EvaluationRubric.objects.filter(code=rubric.code).count() == 1
