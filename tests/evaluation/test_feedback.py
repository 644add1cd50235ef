from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from wagtail.models import ModelLogEntry

from projects.enums import ProjectStatus
from projects.evaluation import selectors, services
from projects.evaluation.enums import FeedbackStatus
from projects.evaluation.models import ResidentFeedback
from tests.factories.evaluation import FeedbackFactory
from tests.factories.organizations import MembershipFactory, UserFactory
from tests.factories.projects import ProjectFactory

pytestmark = pytest.mark.usefixtures("english")


def test_submit_feedback_is_pending_and_logged(project):
    resident = UserFactory()

    feedback = services.submit_feedback(
        project=project, user=resident, rating=5, comment="  老人吃饭方便多了  "
    )

    assert (feedback.rating, feedback.comment, feedback.status) == (
        5,
        "老人吃饭方便多了",
        FeedbackStatus.PENDING,
    )
    assert ModelLogEntry.objects.filter(action="evaluation.feedback.submit").count() == 1


def test_second_feedback_from_the_same_person_is_refused(project):
    resident = UserFactory()
    services.submit_feedback(project=project, user=resident, rating=4)

    with pytest.raises(ValidationError) as info:
        services.submit_feedback(project=project, user=resident, rating=2, comment="改主意")

    assert info.value.message_dict == {
        "__all__": ["You have already rated this project. Thank you!"]
    }
    assert ResidentFeedback.objects.get().rating == 4


def test_database_allows_one_feedback_per_person_per_project(project):
    resident = UserFactory()
    FeedbackFactory(project=project, user=resident)

    with pytest.raises(IntegrityError), transaction.atomic():
        ResidentFeedback.objects.create(project=project, user=resident, rating=3)


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (ProjectStatus.APPROVED, "Feedback opens once the project is under way."),
        (ProjectStatus.APPLYING, "Feedback opens once the project is under way."),
    ],
)
def test_feedback_on_a_project_not_yet_running_is_refused(db, status, message):
    project = ProjectFactory(status=status)

    with pytest.raises(ValidationError) as info:
        services.submit_feedback(project=project, user=UserFactory(), rating=5)

    assert info.value.message_dict == {"__all__": [message]}


def test_completed_projects_take_feedback(db):
    project = ProjectFactory(status=ProjectStatus.COMPLETED)

    feedback = services.submit_feedback(project=project, user=UserFactory(), rating=3)

    assert feedback.pk is not None


def test_anonymous_and_members_of_the_organization_cannot_rate(project):
    member = MembershipFactory(organization=project.organization).user

    with pytest.raises(ValidationError) as anonymous:
        services.submit_feedback(project=project, user=AnonymousUser(), rating=5)
    with pytest.raises(ValidationError) as own:
        services.submit_feedback(project=project, user=member, rating=5)

    assert anonymous.value.messages == ["Please sign in to rate this project."]
    assert own.value.messages == [
        "Members of the implementing organization cannot rate their own project."
    ]


@pytest.mark.parametrize("rating", [0, 6, "x", None])
def test_rating_outside_1_to_5_is_refused(project, rating):
    with pytest.raises(ValidationError) as info:
        services.submit_feedback(project=project, user=UserFactory(), rating=rating)

    assert info.value.message_dict == {"rating": ["Choose a rating from 1 to 5."]}


def test_too_long_comment_is_refused(project):
    with pytest.raises(ValidationError) as info:
        services.submit_feedback(project=project, user=UserFactory(), rating=4, comment="好" * 1001)

    assert info.value.message_dict == {"comment": ["Keep the comment under 1000 characters."]}


def test_moderation_publishes_or_rejects_with_a_note_and_is_logged(project, officer):
    feedback = FeedbackFactory(project=project)

    with pytest.raises(ValidationError) as no_note:
        services.moderate_feedback(feedback=feedback, by=officer, publish=False)
    published = services.moderate_feedback(feedback=feedback, by=officer, publish=True)
    with pytest.raises(ValidationError):
        services.moderate_feedback(feedback=feedback, by=officer, publish=True)
    rejected = services.moderate_feedback(
        feedback=feedback, by=officer, publish=False, note="含个人电话"
    )

    assert no_note.value.messages == ["Please give the reason for rejecting."]
    assert published.status == FeedbackStatus.PUBLISHED
    assert rejected.status == FeedbackStatus.REJECTED and rejected.moderated_by == officer
    assert [
        e.data["to"]
        for e in ModelLogEntry.objects.filter(action="evaluation.feedback.moderate").order_by("pk")
    ] == ["published", "rejected"]


def test_only_staff_moderate(project, evaluators):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.moderate_feedback(
            feedback=FeedbackFactory(project=project), by=evaluators[0], publish=True
        )


def test_summary_counts_only_published_feedback(project):
    for rating in (5, 5, 4, 1):
        FeedbackFactory(project=project, rating=rating, status=FeedbackStatus.PUBLISHED)
    FeedbackFactory(project=project, rating=1, status=FeedbackStatus.PENDING)
    FeedbackFactory(
        project=project, rating=1, status=FeedbackStatus.REJECTED, moderation_note="广告"
    )

    summary = selectors.feedback_summary(project.pk)

    assert summary.count == 4
    assert summary.average == Decimal("3.8")
    assert summary.distribution == [(5, 2, 50), (4, 1, 25), (3, 0, 0), (2, 0, 0), (1, 1, 25)]


def test_summary_of_a_project_without_feedback_is_empty(project):
    summary = selectors.feedback_summary(project.pk)

    assert (summary.count, summary.average) == (0, None)
