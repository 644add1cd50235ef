"""After the campaign: give match freed by refunds and expiries to counted gifts that
got none (``manage.py regrant_match``)."""

from datetime import datetime

from django.utils import timezone

from ..enums import ReservationStatus
from ..models import Donation, MatchingRule
from .matching import confirm_match


def regrant_released_match(*, call, now: datetime | None = None) -> int:
    """After the campaign, give match freed by refunds/expiries to counted gifts of the
    call that got none, oldest first, as if they had been matched when received.

    Only for calls whose rule has ``regrant_released``; each gift in its own transaction
    (same locks as live matching). Returns the match granted.
    """
    now = now or timezone.now()
    rule = MatchingRule.objects.filter(call=call).first()
    if rule is None or not rule.regrant_released or rule.in_campaign(now):
        return 0
    if now < rule.campaign_ends_at:
        return 0
    unmatched = (
        Donation.objects.counted()
        .filter(
            project__call=call,
            received_at__gte=rule.campaign_starts_at,
            received_at__lt=rule.campaign_ends_at,
            refunded_amount=0,
        )
        .exclude(reservations__status=ReservationStatus.CONFIRMED)
        .order_by("received_at", "pk")
    )
    granted = 0
    for donation in unmatched.iterator():
        granted += confirm_match(donation=donation, at=donation.received_at)
    return granted
