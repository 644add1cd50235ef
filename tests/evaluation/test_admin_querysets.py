"""The evaluation app's admin listings load their related rows in the same query: an
index page costs the same number of queries with 1 and with 3 rows (Wagtail 8's
ModelViewSet ignores ``get_queryset(request)``; ``portal.core.admin_listing`` is used)."""

from itertools import count

import pytest

from projects.evaluation.models import Assessment
from tests.admin_listing import assert_index_queries_constant
from tests.factories.evaluation import EvaluationFactory, FeedbackFactory, make_evaluator

pytestmark = pytest.mark.django_db

_n = count(1)


def _evaluation(rubric):
    return EvaluationFactory(rubric=rubric)


def _sheet(rubric):
    return Assessment.objects.create(
        evaluation=EvaluationFactory(rubric=rubric),
        evaluator=make_evaluator(username=f"qev{next(_n)}"),
    )


def _feedback(rubric):
    return FeedbackFactory()


LISTINGS = {
    "evaluation_evaluations": _evaluation,
    "evaluation_sheets": _sheet,
    "evaluation_feedback": _feedback,
}


@pytest.mark.parametrize("name", sorted(LISTINGS))
def test_admin_index_query_count_is_the_same_for_1_and_3_rows(admin_client, rubric, name):
    assert_index_queries_constant(admin_client, name, lambda: LISTINGS[name](rubric))
