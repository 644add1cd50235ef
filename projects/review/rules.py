"""Review's named permissions (see organizations/rules.py for the model).

A reviewer sees an application's evaluation report only through their own assignment,
never when recused or in conflict with the applying organization, only after
submitting their own review, and only once the call's results are published (the report
carries the other reviewers' scores and comments).
"""

import rules

from organizations.rules import is_programme_staff, is_reviewer, membership_for

from .enums import ACTIVE_ASSIGNMENT_STATUSES, AssignmentStatus, ReviewStatus
from .models import Assignment, ConflictOfInterest


def _published(call) -> bool:
    from .report_kinds import results_published

    return results_published(call)


@rules.predicate
def application_results_published(user, application) -> bool:
    return application is not None and _published(application.call)


@rules.predicate
def call_results_published(user, call) -> bool:
    return call is not None and _published(call)


@rules.predicate
def is_applicant_member(user, application) -> bool:
    return membership_for(user, getattr(application, "organization_id", None)) is not None


@rules.predicate
def has_submitted_own_review(user, application) -> bool:
    if not (user and user.is_authenticated and application is not None):
        return False
    return Assignment.objects.filter(
        application=application,
        reviewer=user,
        status=AssignmentStatus.ACCEPTED,
        review__status=ReviewStatus.SUBMITTED,
    ).exists()


@rules.predicate
def is_conflicted_reviewer(user, application) -> bool:
    if not (user and user.is_authenticated and application is not None):
        return False
    return (
        Assignment.objects.filter(
            application=application, reviewer=user, status=AssignmentStatus.CONFLICT
        ).exists()
        or ConflictOfInterest.objects.filter(
            reviewer=user, organization_id=application.organization_id
        ).exists()
    )


@rules.predicate
def is_blind_call(user, application) -> bool:
    if application is None:
        return False
    from .report_kinds import _settings_for

    config = _settings_for(application.call)
    return bool(config and config.blind)


def conflicted_organizations(user) -> set[int]:
    """Ids of the organizations staff recorded ``user`` in conflict with (one query,
    cached on the user for the request)."""
    cached = user.__dict__.get("_portal_conflicted_organizations")
    if cached is None:
        cached = set(
            ConflictOfInterest.objects.filter(reviewer=user).values_list(
                "organization_id", flat=True
            )
        )
        user.__dict__["_portal_conflicted_organizations"] = cached
    return cached


@rules.predicate
def is_assigned_reviewer(user, assignment) -> bool:
    return bool(user and user.is_authenticated and assignment is not None) and (
        assignment.reviewer_id == user.pk
    )


@rules.predicate
def is_recused_from_assignment(user, assignment) -> bool:
    """Declared or recorded in conflict: the assignment is no longer active, or staff
    recorded a conflict with the applying organization (also after publication, when
    the assignment itself is no longer changed)."""
    if assignment is None:
        return False
    return assignment.status not in ACTIVE_ASSIGNMENT_STATUSES or (
        assignment.application.organization_id in conflicted_organizations(user)
    )


# One row of the reviewer's queue: their own assignment, as a reviewer, not recused.
rules.add_perm(
    "review.review_assignment",
    is_reviewer & is_assigned_reviewer & ~is_recused_from_assignment,
)
# A reviewer who may read what the other reviewers wrote about this application.
reviewer_after_results = (
    application_results_published & is_reviewer & ~is_conflicted_reviewer & has_submitted_own_review
)
rules.add_perm(
    "review.view_application_report",
    is_programme_staff
    | (application_results_published & is_applicant_member)
    | (reviewer_after_results & ~is_blind_call),
)
# In a blind call the reviewer reads the anonymised copy only (projects.review.blind).
rules.add_perm(
    "review.view_anonymised_application_report",
    is_programme_staff | reviewer_after_results,
)
rules.add_perm("review.view_call_report", call_results_published | is_programme_staff)
# Review set-up: rubrics, settings, assignments, ranking, decisions, appeals, progress.
rules.add_perm("review.manage_review", is_programme_staff)
# The reviewer's own queue (each assignment is then checked against its reviewer).
rules.add_perm("review.open_review_queue", is_reviewer | is_programme_staff)
