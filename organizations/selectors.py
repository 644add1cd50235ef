"""Reads for organization pages, with their related data fetched up front."""

from django.db.models import Count, Prefetch, Q, QuerySet

from .enums import VerificationStatus
from .models import Membership, Organization, VerificationEvent


def public_directory() -> QuerySet[Organization]:
    """Verified organizations with region, district and service areas prefetched, and
    the number of public projects annotated as ``project_count``."""
    return (
        Organization.objects.verified()
        .select_related("region__parent")
        .prefetch_related("service_areas")
        .annotate(
            project_count=Count("projects", filter=~Q(projects__status="applying"), distinct=True)
        )
        .order_by("name", "pk")
    )


def user_memberships(user) -> QuerySet[Membership]:
    """The user's memberships with their organizations, for the dashboard."""
    return (
        Membership.objects.filter(user=user)
        .select_related("organization__region")
        .order_by("organization__name")
    )


def organization_for_manage(slug: str) -> Organization:
    """One organization with everything its private page shows."""
    return (
        Organization.objects.select_related("region__parent", "community")
        .prefetch_related(
            "service_areas",
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related("user").order_by(
                    "role", "user__username"
                ),
            ),
            "documents",
            "verification_events__actor",
        )
        .get(slug=slug)
    )


def pending_verification() -> QuerySet[Organization]:
    """Organizations waiting for staff, oldest first."""
    return Organization.objects.filter(status=VerificationStatus.SUBMITTED).order_by("updated_at")


def recent_notifications(user, limit: int = 10) -> list[VerificationEvent]:
    """The latest verification decisions and submissions of the user's organizations."""
    return list(
        VerificationEvent.objects.filter(organization__memberships__user=user)
        .select_related("organization")
        .order_by("-created_at", "-pk")[:limit]
    )
