"""Offline pledges: a donor promises a bank transfer / cash / cheque gift and gets a
reference code; finance records the gift with that code when the money arrives."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Donation, OfflinePledge
from .donations import limits, normalise_reference
from .guards import refuse_closed_project


def create_pledge(
    *,
    project,
    amount: int,
    method: str,
    donor_email: str,
    donor_name: str = "",
    user=None,
    ip: str | None = None,
    now: datetime | None = None,
) -> OfflinePledge:
    """Create a pledge with a fresh reference code. Raises ``ValidationError`` outside
    the gift limits or when the address / e-mail pledged more often than a person
    would (the online velocity limits), ``ProjectClosedToMoney`` for a project that is
    closed, terminated or not yet agreed."""
    refuse_closed_project(project)
    lim = limits()
    if amount < lim["min"] or amount > lim["max"]:
        raise ValidationError(
            _("The amount must be between %(min)s and %(max)s yuan.")
            % {"min": lim["min"] // 100, "max": lim["max"] // 100}
        )
    now = now or timezone.now()
    recent = OfflinePledge.objects.filter(created_at__gte=now - lim["window"])
    if (ip and recent.filter(ip_address=ip).count() >= lim["per_ip"]) or recent.filter(
        donor_email__iexact=donor_email
    ).count() >= lim["per_email"]:
        raise ValidationError(
            _("Too many donation attempts. Please try again later."), code="velocity"
        )
    return OfflinePledge.objects.create(
        project=project,
        amount=amount,
        currency=project.currency if project else settings.DEFAULT_CURRENCY,
        method=method,
        donor_name=donor_name,
        donor_email=donor_email,
        user=user if user is not None and user.is_authenticated else None,
        ip_address=ip,
    )


def link_pledge(*, donation: Donation) -> OfflinePledge | None:
    """Finance recorded an offline gift whose reference is a pledge's code: the pledge
    is now that gift's (first gift wins; a pledge is never linked twice)."""
    reference = normalise_reference(donation.external_id)
    if not reference:
        return None
    updated = OfflinePledge.objects.filter(reference=reference, donation__isnull=True).update(
        donation=donation
    )
    return OfflinePledge.objects.filter(reference=reference).first() if updated else None
