"""#14: the reviewer's queue asks ``review.review_assignment`` for each row, so a reviewer
sees (and opens) only the assignments they may review: not one on an organization
staff recorded a conflict with (recording it after publication leaves the assignment
as it was), not their old assignments once they are no longer a reviewer."""

from django.contrib.auth.models import Group
from django.urls import reverse

from organizations import roles
from projects.review.enums import AssignmentStatus
from projects.review.models import Assignment, ConflictOfInterest
from tests.factories.review import ApplicationFactory


def _assign(application, reviewer):
    return Assignment.objects.create(
        application=application, reviewer=reviewer, status=AssignmentStatus.ACCEPTED
    )


def _queue(client):
    return client.get(reverse("review:queue")).context["queue"].assignments


def test_queue_leaves_out_an_assignment_on_an_organization_in_conflict(
    client, call, config, reviewers
):
    kept = _assign(ApplicationFactory(call=call, title="可评审的申报"), reviewers[0])
    conflicted = _assign(ApplicationFactory(call=call, title="利益冲突的申报"), reviewers[0])
    ConflictOfInterest.objects.create(
        reviewer=reviewers[0], organization=conflicted.application.organization, reason="亲属"
    )
    client.force_login(reviewers[0])

    rows = _queue(client)
    page = client.get(reverse("review:assignment", args=[conflicted.pk]))

    assert [row.pk for row in rows] == [kept.pk]
    assert "利益冲突的申报" not in client.get(reverse("review:queue")).content.decode()
    assert page.status_code == 403
    assert reviewers[0].has_perm("review.review_assignment", kept) is True
    assert reviewers[0].has_perm("review.review_assignment", conflicted) is False


def test_former_reviewer_now_programme_officer_sees_no_rows(client, call, config, reviewers):
    former = reviewers[1]
    assignment = _assign(ApplicationFactory(call=call), former)
    former.groups.remove(Group.objects.get(name=roles.REVIEWER))
    former.groups.add(Group.objects.get_or_create(name=roles.PROGRAMME_OFFICER)[0])
    client.force_login(former)

    rows = _queue(client)
    page = client.get(reverse("review:assignment", args=[assignment.pk]))

    assert rows == []
    assert page.status_code == 403


def test_another_reviewers_assignment_is_never_a_row(client, call, config, reviewers):
    theirs = _assign(ApplicationFactory(call=call), reviewers[2])

    assert reviewers[3].has_perm("review.review_assignment", theirs) is False
    assert reviewers[2].has_perm("review.review_assignment", theirs) is True
