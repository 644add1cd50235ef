"""Who may see and change an organization's private data.

Members see their own organization's private pages; owners and editors change the
profile; only owners manage members. Programme staff (administrators, programme
officers) see every organization.
"""

from . import roles
from .enums import MemberRole
from .models import Membership, Organization


def is_programme_staff(user) -> bool:
    return user.is_authenticated and (
        user.is_superuser or roles.has_role(user, roles.ADMINISTRATOR, roles.PROGRAMME_OFFICER)
    )


def membership_for(user, organization: Organization) -> Membership | None:
    """The user's membership of ``organization`` (cached on the user), or None."""
    if not user.is_authenticated:
        return None
    cache = user.__dict__.setdefault("_portal_memberships", {})
    if organization.pk not in cache:
        cache[organization.pk] = Membership.objects.filter(
            organization=organization, user=user
        ).first()
    return cache[organization.pk]


def can_view_private(user, organization: Organization) -> bool:
    return is_programme_staff(user) or membership_for(user, organization) is not None


def can_edit(user, organization: Organization) -> bool:
    membership = membership_for(user, organization)
    return is_programme_staff(user) or bool(membership and membership.can_edit)


def can_manage_members(user, organization: Organization) -> bool:
    membership = membership_for(user, organization)
    return is_programme_staff(user) or bool(membership and membership.role == MemberRole.OWNER)
