"""Reads for the call pages, the applicant's dashboard and the needs board."""

from datetime import datetime

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import ngettext

from organizations.models import Membership

from .eligibility import eligibility_errors
from .enums import ApplicationStatus, NeedStatus
from .models import (
    Application,
    ApplicationEvent,
    CallPage,
    CommunityNeed,
    Project,
)


def editable_memberships(user) -> list[Membership]:
    """The user's owner/editor memberships, with what eligibility checks read."""
    if not user.is_authenticated:
        return []
    memberships = Membership.objects.filter(user=user).select_related(
        "organization__region__parent__parent__parent"
    )
    return [m for m in memberships if m.can_edit]


def format_duration(seconds: int) -> str:
    """``93784`` → "1 day 2 hours 3 minutes" (translated; seconds dropped)."""
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60
    parts = []
    if days:
        parts.append(ngettext("%(n)d day", "%(n)d days", days) % {"n": days})
    if days or hours:
        parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
    parts.append(ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes})
    return " ".join(parts)


def call_page_context(*, call: CallPage, user, now: datetime | None = None) -> dict:
    """Everything ``call_page.html`` shows, in a fixed number of queries.

    For a signed-in member it lists each organization they can apply for, with its
    eligibility errors and its existing applications to this call.
    """
    now = now or timezone.now()
    state = call.state(now)
    service_items = list(call.allowed_service_items.select_related("category"))
    needs = list(call.target_needs.filter(status=NeedStatus.PUBLISHED).select_related("region"))
    options = []
    memberships = editable_memberships(user)
    if memberships:
        district_ids = set(call.eligible_districts.values_list("pk", flat=True))
        org_ids = [m.organization_id for m in memberships]
        existing: dict[int, list[Application]] = {}
        for application in Application.objects.filter(call=call, organization_id__in=org_ids):
            existing.setdefault(application.organization_id, []).append(application)
        for membership in memberships:
            org = membership.organization
            apps = existing.get(org.pk, [])
            active = [a for a in apps if a.status != ApplicationStatus.WITHDRAWN]
            options.append(
                {
                    "organization": org,
                    "errors": eligibility_errors(
                        call=call, organization=org, district_ids=district_ids
                    ),
                    "applications": apps,
                    "can_start": call.allow_multiple_applications or not active,
                }
            )
    from organizations.enums import OrganizationType

    return {
        "state": state,
        "time_left": format_duration(max(0, int((call.closes_at - now).total_seconds()))),
        "time_to_open": format_duration(max(0, int((call.opens_at - now).total_seconds()))),
        "districts": list(call.eligible_districts.all()),
        "org_type_labels": [
            str(OrganizationType(t).label)
            for t in call.eligible_org_types
            if t in OrganizationType.values
        ],
        "now": now,
        "is_open": call.is_open(now),
        "seconds_left": max(0, int((call.closes_at - now).total_seconds())),
        "seconds_to_open": max(0, int((call.opens_at - now).total_seconds())),
        "service_items": service_items,
        "target_needs": needs,
        "apply_options": options,
    }


def applications_for_user(user) -> QuerySet[Application]:
    """Applications of every organization the user belongs to, newest first, with the
    call, the organization and the latest timeline entry loaded (constant queries)."""
    if not user.is_authenticated:
        return Application.objects.none()
    return (
        Application.objects.filter(organization__memberships__user=user)
        .select_related("call", "organization")
        .order_by("-updated_at", "-pk")
        .distinct()
    )


def application_for_member(*, user, pk: int) -> tuple[Application, Membership] | None:
    """The application with its organization membership for ``user``; None if not a member."""
    application = (
        Application.objects.select_related("call", "organization", "organization__region")
        .filter(pk=pk)
        .first()
    )
    if application is None or not user.is_authenticated:
        return None
    membership = Membership.objects.filter(
        user=user, organization_id=application.organization_id
    ).first()
    if membership is None:
        return None
    return application, membership


def application_timeline(application: Application) -> QuerySet[ApplicationEvent]:
    return application.events.select_related("actor").order_by("created_at", "pk")


def published_needs() -> QuerySet[CommunityNeed]:
    """Published needs with their support count and what the cards show."""
    return (
        CommunityNeed.objects.published()
        .select_related("region", "service_item__category")
        .annotate(support_count=Count("supports", distinct=True))
    )


def need_detail(*, pk: int, user) -> CommunityNeed | None:
    """The need if the user may see it (``projects.view_need``: published ones for
    everyone; pending or declined ones for their author and programme staff), else None."""
    need = (
        CommunityNeed.objects.select_related("region", "service_item__category", "merged_into")
        .annotate(support_count=Count("supports", distinct=True))
        .prefetch_related(
            "photos",
            Prefetch("projects", queryset=Project.objects.public().select_related("organization")),
        )
        .filter(pk=pk)
        .first()
    )
    if need is None or not user.has_perm("projects.view_need", need):
        return None
    return need


def call_counts() -> dict[str, Q]:
    """Count expressions for the staff call listing (drafts, submitted, screened)."""
    from .enums import SCREENED_STATUSES, SUBMITTED_STATUSES

    return {
        "n_drafts": Count(
            "applications", filter=Q(applications__status=ApplicationStatus.DRAFT), distinct=True
        ),
        "n_submitted": Count(
            "applications", filter=Q(applications__status__in=SUBMITTED_STATUSES), distinct=True
        ),
        "n_returned": Count(
            "applications", filter=Q(applications__status=ApplicationStatus.RETURNED), distinct=True
        ),
        "n_screened": Count(
            "applications", filter=Q(applications__status__in=SCREENED_STATUSES), distinct=True
        ),
    }
