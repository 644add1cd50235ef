import pytest

from tests.factories.evaluation import make_evaluator, make_rubric
from tests.factories.projects import ProjectFactory
from tests.factories.review import make_officer


@pytest.fixture
def officer(db):
    return make_officer(username="ev-officer")


@pytest.fixture
def evaluators(db):
    return [make_evaluator(username=f"evaluator{i}") for i in range(1, 4)]


@pytest.fixture
def rubric(db):
    return make_rubric()


@pytest.fixture
def project(db):
    return ProjectFactory()


@pytest.fixture
def english():
    """Service messages are asserted in English (msgids)."""
    from django.utils import translation

    with translation.override("en"):
        yield
