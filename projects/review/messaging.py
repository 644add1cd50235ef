"""Programme staff write to the applicants of a call (all, or those with a given
application status or published outcome): one in-app notice and e-mail per member of
each organization, through ``portal.core.notifications.notify``, audit-logged."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from organizations.models import Membership, Organization
from portal.core.notifications.services import notify
from projects.models import Application, CallPage
from projects.scoring import services as scoring

NOT_RANKED = "not_ranked"
MESSAGE_PERMISSION = "review.message_applicants"


@dataclass(frozen=True)
class Recipients:
    """The organizations a message reaches and their members' user ids."""

    organizations: list[Organization]
    user_ids: list[int]


def _applications(call: CallPage, statuses, outcomes):
    applications = Application.objects.filter(call=call)
    if statuses:
        applications = applications.filter(status__in=list(statuses))
    if outcomes:
        tiers = [o for o in outcomes if o != NOT_RANKED]
        wanted = Q(review_decision__rank__isnull=False, review_decision__tier__in=tiers)
        if NOT_RANKED in outcomes:
            wanted |= Q(review_decision__isnull=False, review_decision__rank__isnull=True)
        applications = applications.filter(wanted, review_decision__call=call)
    return applications


def applicant_recipients(
    *, call: CallPage, statuses: list[str] | None = None, outcomes: list[str] | None = None
) -> Recipients:
    """Who a message to ``call``'s applicants reaches: the organizations with at least one
    application in the call matching every filter given (application ``statuses``;
    published ``outcomes``: tiers of ranked decisions and/or ``"not_ranked"``), by name,
    and their members' active accounts. Two queries."""
    organization_ids = _applications(call, statuses, outcomes).values("organization_id")
    organizations = list(Organization.objects.filter(pk__in=organization_ids).order_by("name"))
    user_ids = list(
        Membership.objects.filter(
            organization__in=[o.pk for o in organizations], user__is_active=True
        )
        .values_list("user_id", flat=True)
        .distinct()
        .order_by("user_id")
    )
    return Recipients(organizations=organizations, user_ids=user_ids)


@transaction.atomic
def message_applicants(
    *,
    call: CallPage,
    by,
    subject: str,
    body: str,
    statuses: list[str] | None = None,
    outcomes: list[str] | None = None,
) -> Recipients:
    """Send ``subject``/``body`` (taken literally) to every member of the organizations
    ``applicant_recipients`` finds: an in-app notice each and an e-mail queued after
    commit, linking to the call. Side effect: audit log on the call (subject, filters,
    counts). Raises ``PermissionDenied`` without ``review.message_applicants``,
    ``ValidationError`` (field) for an empty subject or body or when nobody matches."""
    scoring.require_permission(by, MESSAGE_PERMISSION)
    subject, body = (subject or "").strip(), (body or "").strip()
    if not subject:
        raise ValidationError({"subject": [_("Please write a subject.")]})
    if not body:
        raise ValidationError({"body": [_("Please write the message.")]})
    recipients = applicant_recipients(call=call, statuses=statuses, outcomes=outcomes)
    if not recipients.user_ids:
        raise ValidationError(_("No applicant matches these filters; nothing was sent."))
    notify(users=recipients.user_ids, title=subject, body=body, url=call.url or "")
    log(
        instance=call,
        action="review.message.applicants",
        user=by,
        data={
            "subject": subject,
            "statuses": list(statuses or []),
            "outcomes": list(outcomes or []),
            "organizations": len(recipients.organizations),
            "people": len(recipients.user_ids),
        },
    )
    return recipients
