"""Role predicates shared by every app, and the organizations app's named permissions.

One authorization model (docs/security.md): roles are Django groups
(:mod:`organizations.roles`); predicates built with ``rules`` say who a user is in
relation to an object; named permissions combine them and are checked everywhere with
``user.has_perm("app.verb_object", obj)``. Django's ``is_staff`` flag only lets a user
open the Wagtail admin: no predicate here reads it, so it never grants data.

Superusers pass every ``has_perm`` check (Django answers before asking the backends).
"""

import rules
from allauth.account.models import EmailAddress

from . import roles
from .enums import MemberRole
from .models import Membership


def _role(*names: str, label: str):
    @rules.predicate(name=label)
    def has(user) -> bool:
        return bool(user) and user.is_active and roles.has_role(user, *names)

    return has


is_administrator = _role(roles.ADMINISTRATOR, label="is_administrator")
is_programme_officer = _role(roles.PROGRAMME_OFFICER, label="is_programme_officer")
is_reviewer = _role(roles.REVIEWER, label="is_reviewer")
is_evaluator = _role(roles.EVALUATOR, label="is_evaluator")
is_finance_officer = _role(roles.FINANCE_OFFICER, label="is_finance_officer")
is_mentor = _role(roles.MENTOR, label="is_mentor")
# Administrators and programme officers run the programme: organizations, calls,
# screening, review set-up, delivery, evaluation and incubation.
is_programme_staff = is_administrator | is_programme_officer


def verified_emails(user) -> set[str]:
    """The user's e-mail addresses that allauth has verified, lower-cased (cached on
    the user object for the request)."""
    if not (user and user.is_authenticated):
        return set()
    cached = user.__dict__.get("_portal_verified_emails")
    if cached is None:
        cached = {
            email.lower()
            for email in EmailAddress.objects.filter(user=user, verified=True).values_list(
                "email", flat=True
            )
        }
        user.__dict__["_portal_verified_emails"] = cached
    return cached


def membership_for(user, organization_id: int | None) -> Membership | None:
    """The user's membership of the organization (cached on the user), or None."""
    if not (user and user.is_authenticated and organization_id):
        return None
    cache = user.__dict__.setdefault("_portal_memberships", {})
    if organization_id not in cache:
        cache[organization_id] = Membership.objects.filter(
            organization_id=organization_id, user=user
        ).first()
    return cache[organization_id]


@rules.predicate
def is_organization_member(user, organization) -> bool:
    return membership_for(user, getattr(organization, "pk", None)) is not None


@rules.predicate
def is_organization_editor(user, organization) -> bool:
    membership = membership_for(user, getattr(organization, "pk", None))
    return bool(membership and membership.can_edit)


@rules.predicate
def is_organization_owner(user, organization) -> bool:
    membership = membership_for(user, getattr(organization, "pk", None))
    return bool(membership and membership.role == MemberRole.OWNER)


# Private pages of an organization (profile drafts, verification documents, members).
rules.add_perm("organizations.view_private", is_organization_member | is_programme_staff)
rules.add_perm("organizations.edit_profile", is_organization_editor | is_programme_staff)
rules.add_perm("organizations.manage_members", is_organization_owner | is_programme_staff)
# Programme work in general (admin viewsets of organizations, calls, review set-up,
# delivery, evaluation and incubation; no object).
rules.add_perm("organizations.manage_programme", is_programme_staff)


@rules.predicate
def is_residency_member(user, residency) -> bool:
    return membership_for(user, getattr(residency, "organization_id", None)) is not None


@rules.predicate
def is_residency_mentor(user, residency) -> bool:
    return bool(user and user.is_authenticated and residency is not None) and (
        residency.mentor_id == user.pk
    )


# An incubation record: the resident organization's members, its mentor, programme staff.
rules.add_perm(
    "organizations.view_incubation_record",
    is_residency_member | is_residency_mentor | is_programme_staff,
)


@rules.predicate
def is_residency_editor(user, residency) -> bool:
    membership = membership_for(user, getattr(residency, "organization_id", None))
    return bool(membership and membership.can_edit)


# The residency agreement: the organization's owners/editors upload it, or programme staff.
rules.add_perm("organizations.upload_agreement", is_residency_editor | is_programme_staff)
# Service logs and capacity assessments: the residency's mentor, or programme staff.
rules.add_perm("organizations.mentor_residency", is_residency_mentor | is_programme_staff)


# Object predicates that stand for a role's relation to the object (the generated table
# in docs/security.md marks the role ◐ where a rule uses them).
ROLE_RELATIONS = {is_residency_mentor.name: roles.MENTOR}
