"""The review app's admin listings load their related rows in the same query: the
number of queries for an index page is the same with 1 and with 3 rows."""

from decimal import Decimal
from itertools import count

import pytest
from django.utils import timezone

from projects.enums import ProjectTier
from projects.review.enums import AssignmentStatus, ReviewStatus
from projects.review.models import (
    Appeal,
    Assignment,
    ConflictOfInterest,
    Decision,
    RankingEntry,
    Review,
    ReviewerProfile,
)
from tests.admin_listing import assert_index_queries_constant
from tests.factories.organizations import OrganizationFactory, RegionFactory, UserFactory
from tests.factories.projects import make_call
from tests.factories.review import ApplicationFactory, ReviewSettingsFactory, make_reviewer

pytestmark = pytest.mark.django_db

_n = count(1)


def _assignment(call, rubric):
    return Assignment.objects.create(
        application=ApplicationFactory(call=call),
        reviewer=make_reviewer(username=f"qrev{next(_n)}"),
        status=AssignmentStatus.ACCEPTED,
    )


def _review(call, rubric):
    return Review.objects.create(
        assignment=_assignment(call, rubric), rubric=rubric, status=ReviewStatus.DRAFT
    )


def _ranking(call, rubric):
    return RankingEntry.objects.create(
        call=call,
        application=ApplicationFactory(call=call),
        rank=next(_n),
        n_reviews=2,
        mean=Decimal(7),
        median=Decimal(7),
        normalised=Decimal(70),
        spread=Decimal(1),
        tier=ProjectTier.FUNDED_MATCHED,
    )


def _decision(call, rubric):
    return Decision.objects.create(
        application=ApplicationFactory(call=call),
        call=call,
        rank=next(_n),
        normalised=Decimal(70),
        tier=ProjectTier.RESERVE,
        published_at=timezone.now(),
    )


def _appeal(call, rubric):
    return Appeal.objects.create(
        decision=_decision(call, rubric), appellant="居民", text="异议", received_at=timezone.now()
    )


def _conflict(call, rubric):
    return ConflictOfInterest.objects.create(
        reviewer=make_reviewer(username=f"qrev{next(_n)}"),
        organization=OrganizationFactory(),
        reason="亲属",
    )


def _settings(call, rubric):
    return ReviewSettingsFactory(call=make_call(), rubric=rubric)


def _profile(call, rubric):
    return ReviewerProfile.objects.create(
        user=UserFactory(username=f"qprof{next(_n)}"), district=RegionFactory(), expertise="养老"
    )


LISTINGS = {
    "review_assignments": _assignment,
    "review_reviews": _review,
    "review_ranking": _ranking,
    "review_decisions": _decision,
    "review_appeals": _appeal,
    "review_conflicts": _conflict,
    "review_settings": _settings,
    "review_profiles": _profile,
}


@pytest.mark.parametrize("name", sorted(LISTINGS))
def test_admin_index_query_count_is_the_same_for_1_and_3_rows(admin_client, call, rubric, name):
    assert_index_queries_constant(admin_client, name, lambda: LISTINGS[name](call, rubric))
