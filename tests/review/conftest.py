from decimal import Decimal

import pytest

from organizations.enums import MemberRole
from projects.review import services
from projects.review.enums import AssignmentStatus
from projects.review.models import Assignment
from tests.factories.organizations import MembershipFactory
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


@pytest.fixture
def published(call, config, reviewers, officer):
    """Three applications, two reviews each, published now with a 7-day window."""
    apps = []
    for i, value in enumerate((9, 6, 3)):
        app = ApplicationFactory(call=call, title=f"项目{i}")
        for reviewer in reviewers[:2]:
            assignment = Assignment.objects.create(
                application=app, reviewer=reviewer, status=AssignmentStatus.ACCEPTED
            )
            services.save_review(
                assignment=assignment,
                by=reviewer,
                recommendation="fund",
                submit=True,
                scores={c.pk: Decimal(value) for c in config.rubric.criteria.all()},
            )
        apps.append(app)
    config.funded_count, config.reserve_count, config.appeal_days = 1, 1, 7
    config.save()
    services.rank_call(call=call, by=officer)
    services.publish_results(call=call, by=officer)
    officer.is_staff = True
    officer.save(update_fields=["is_staff"])
    return apps


@pytest.fixture
def owner(published):
    return MembershipFactory(organization=published[1].organization, role=MemberRole.OWNER).user
