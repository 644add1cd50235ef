import pytest

from tests.factories.projects import make_call
from tests.factories.review import (
    ApplicationFactory,
    ReviewSettingsFactory,
    make_officer,
    make_reviewer,
    make_rubric,
)


@pytest.fixture
def call(site_pages):
    return make_call()


@pytest.fixture
def rubric(db):
    return make_rubric((60, 40))


@pytest.fixture
def config(call, rubric):
    return ReviewSettingsFactory(call=call, rubric=rubric, reviewers_per_application=2)


@pytest.fixture
def officer(db):
    return make_officer(username="officer-x")


@pytest.fixture
def reviewers(db):
    return [make_reviewer(username=f"rev{i}") for i in range(1, 5)]


@pytest.fixture
def applications(call):
    return [ApplicationFactory(call=call) for _ in range(3)]


@pytest.fixture(autouse=True)
def _english_messages():
    """Service messages are asserted in English (msgids); pages set their own language."""
    from django.utils import translation

    with translation.override("en"):
        yield
