from decimal import Decimal

import factory

from organizations.roles import EVALUATOR
from projects.evaluation.enums import AdjustmentKind, EvaluationKind
from projects.evaluation.models import (
    AdjustmentItem,
    Dimension,
    Evaluation,
    EvaluationRubric,
    ResidentFeedback,
)

from .organizations import UserFactory
from .projects import ProjectFactory
from .review import with_role


def make_evaluator(**kwargs):
    return with_role(UserFactory(**kwargs), EVALUATOR)


class EvaluationRubricFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EvaluationRubric

    code = factory.Sequence(lambda n: f"ev-rubric-{n}")
    name = factory.Sequence(lambda n: f"评估指标{n}")
    name_en = factory.Sequence(lambda n: f"Rubric {n}")
    bonus_cap = Decimal(5)
    penalty_cap = Decimal(10)


def make_rubric(maxima=(25, 20, 35, 20), *, bonus=(3, 2, 2), penalty=(3, 5, 5), **kwargs):
    """A rubric with one dimension per maximum and bonus/penalty items with those maxima."""
    rubric = EvaluationRubricFactory(**kwargs)
    for i, maximum in enumerate(maxima):
        Dimension.objects.create(
            rubric=rubric,
            name=f"维度{i + 1}",
            name_en=f"D{i + 1}",
            max_score=Decimal(maximum),
            sort_order=i,
        )
    for i, points in enumerate(bonus):
        AdjustmentItem.objects.create(
            rubric=rubric,
            kind=AdjustmentKind.BONUS,
            name=f"加分{i + 1}",
            max_points=Decimal(points),
            sort_order=i,
        )
    for i, points in enumerate(penalty):
        AdjustmentItem.objects.create(
            rubric=rubric,
            kind=AdjustmentKind.PENALTY,
            name=f"扣分{i + 1}",
            max_points=Decimal(points),
            sort_order=i,
        )
    return rubric


class EvaluationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Evaluation

    project = factory.SubFactory(ProjectFactory)
    kind = EvaluationKind.MIDTERM
    rubric = factory.LazyFunction(make_rubric)


class FeedbackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResidentFeedback

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)
    rating = 4
    comment = "服务很贴心。"
