from collections import Counter

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from wagtail.models import ModelLogEntry

from projects.enums import ApplicationStatus
from projects.review import services
from projects.review.enums import AssignmentStatus
from projects.review.models import Assignment, ConflictOfInterest, ReviewerProfile
from tests.factories.organizations import DistrictFactory, MembershipFactory, RegionFactory
from tests.factories.review import ApplicationFactory


def _pairs(call):
    return sorted(
        Assignment.objects.filter(application__call=call).values_list(
            "application_id", "reviewer__username"
        )
    )


def test_auto_assign_balances_load_across_pool(call, config, officer, reviewers, applications):
    created = services.auto_assign(call=call, by=officer)

    load = Counter(Assignment.objects.values_list("reviewer__username", flat=True))
    assert created == 6
    assert sorted(load.values()) == [1, 1, 2, 2]
    assert all(Assignment.objects.filter(application=a).count() == 2 for a in applications)
    call.refresh_from_db()
    assert call.review_started_at is not None


def test_auto_assign_never_picks_member_or_declared_conflict(call, config, officer, reviewers):
    application = ApplicationFactory(call=call)
    MembershipFactory(user=reviewers[0], organization=application.organization)
    ConflictOfInterest.objects.create(
        reviewer=reviewers[1], organization=application.organization, reason="前同事"
    )

    services.auto_assign(call=call, by=officer)

    assert _pairs(call) == [(application.pk, "rev3"), (application.pk, "rev4")]


def test_auto_assign_avoids_same_district_when_asked(call, config, officer, reviewers):
    district = DistrictFactory()
    application = ApplicationFactory(call=call, organization__region=RegionFactory(parent=district))
    for reviewer in reviewers[:2]:
        ReviewerProfile.objects.create(user=reviewer, district=district)
    config.avoid_same_district = True
    config.save()

    services.auto_assign(call=call, by=officer)

    assert _pairs(call) == [(application.pk, "rev3"), (application.pk, "rev4")]


def test_auto_assign_skips_applications_not_eligible(call, config, officer, reviewers):
    ApplicationFactory(call=call, status=ApplicationStatus.SUBMITTED)

    assert services.auto_assign(call=call, by=officer) == 0


def test_auto_assign_is_refused_to_reviewers(call, config, reviewers, applications):
    with pytest.raises(PermissionDenied):
        services.auto_assign(call=call, by=reviewers[0])


def test_declared_conflict_recuses_and_next_auto_assign_replaces(call, config, officer, reviewers):
    application = ApplicationFactory(call=call)
    services.auto_assign(call=call, by=officer)
    first = Assignment.objects.get(application=application, reviewer=reviewers[0])

    services.declare_conflict(
        assignment=first, by=reviewers[0], conflict=True, reason="我是该机构理事"
    )
    services.auto_assign(call=call, by=officer)

    first.refresh_from_db()
    assert (first.status, first.conflict_reason) == (AssignmentStatus.CONFLICT, "我是该机构理事")
    assert (
        ConflictOfInterest.objects.filter(
            reviewer=reviewers[0], organization=application.organization
        ).count()
        == 1
    )
    assert _pairs(call) == [
        (application.pk, "rev1"),
        (application.pk, "rev2"),
        (application.pk, "rev3"),
    ]
    assert Assignment.objects.active().filter(application=application).count() == 2
    assert (
        ModelLogEntry.objects.filter(
            action="review.conflict.declared", object_id=str(first.pk)
        ).count()
        == 1
    )


def test_declare_conflict_without_reason_is_refused(call, config, officer, reviewers):
    ApplicationFactory(call=call)
    services.auto_assign(call=call, by=officer)
    assignment = Assignment.objects.filter(reviewer=reviewers[0]).first()

    with pytest.raises(ValidationError) as error:
        services.declare_conflict(assignment=assignment, by=reviewers[0], conflict=True, reason=" ")

    assert error.value.messages == ["Please give the reason for the conflict."]


def test_declare_for_another_reviewers_assignment_is_refused(call, config, officer, reviewers):
    ApplicationFactory(call=call)
    services.auto_assign(call=call, by=officer)
    assignment = Assignment.objects.get(reviewer=reviewers[0])

    with pytest.raises(PermissionDenied):
        services.declare_conflict(assignment=assignment, by=reviewers[1], conflict=False)


def test_manual_assign_refuses_member_with_reason(call, config, officer, reviewers):
    application = ApplicationFactory(call=call)
    MembershipFactory(user=reviewers[0], organization=application.organization)

    with pytest.raises(ValidationError) as error:
        services.assign_reviewer(application=application, reviewer=reviewers[0], by=officer)

    assert error.value.messages == ["rev1 is a member of the applying organization."]


def test_remove_assignment_logs_and_deletes(call, config, officer, reviewers):
    application = ApplicationFactory(call=call)
    assignment = services.assign_reviewer(
        application=application, reviewer=reviewers[0], by=officer
    )

    services.remove_assignment(assignment=assignment, by=officer)

    assert Assignment.objects.count() == 0
    assert ModelLogEntry.objects.filter(action="review.assignment.remove").count() == 1


def test_import_assignments_creates_rows(call, config, officer, reviewers):
    a1, a2 = ApplicationFactory(call=call), ApplicationFactory(call=call)
    data = f"application,reviewer\n{a1.pk},rev1\n{a2.pk},rev2\n"

    created = services.import_assignments(call=call, data=data, by=officer)

    assert created == 2
    assert _pairs(call) == [(a1.pk, "rev1"), (a2.pk, "rev2")]


def test_import_assignments_is_all_or_nothing_with_line_numbers(call, config, officer, reviewers):
    a1 = ApplicationFactory(call=call)
    data = f"application,reviewer\n{a1.pk},rev1\n999999,rev2\n{a1.pk},nobody\n{a1.pk},rev1\n"

    with pytest.raises(ValidationError) as error:
        services.import_assignments(call=call, data=data, by=officer)

    assert error.value.messages == [
        "Line 3: no such application in this call.",
        "Line 4: no such reviewer.",
        "Line 5: duplicate row",
    ]
    assert Assignment.objects.count() == 0


def test_import_assignments_needs_columns(call, config, officer):
    with pytest.raises(ValidationError) as error:
        services.import_assignments(call=call, data="a,b\n1,2\n", by=officer)

    assert error.value.messages == ["The file needs the columns “application” and “reviewer”."]
