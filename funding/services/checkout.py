"""Online checkout: reserve match, then hand over to the payment provider."""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from ..enums import DonationStatus, ReservationStatus
from ..errors import InvalidTransition, PaymentProviderError
from ..models import Donation, MatchReservation
from ..providers import online_provider_name
from .donations import mark_failed
from .matching import reservation_ttl, reserve_match


def checkout_expiry(now: datetime | None = None) -> datetime:
    """Stripe needs a session to live at least 30 minutes; the reservation lives exactly
    as long as the session (default TTL plus one minute of slack)."""
    return (
        (now or timezone.now())
        + max(reservation_ttl(), timedelta(minutes=30))
        + timedelta(minutes=1)
    )


@transaction.atomic
def hold_match_for_checkout(*, donation: Donation, now: datetime | None = None) -> int:
    """Reserve (or re-extend) match for a pending donation until the checkout expiry.

    Returns the match held. Raises ``InvalidTransition`` unless the donation is pending.
    """
    now = now or timezone.now()
    donation = (
        Donation.objects.select_for_update(of=("self",))
        .select_related("project")
        .get(pk=donation.pk)
    )
    if donation.status != DonationStatus.PENDING:
        raise InvalidTransition("donation is not awaiting payment")
    expires_at = checkout_expiry(now)
    held = MatchReservation.objects.filter(donation=donation, status=ReservationStatus.HELD)
    if held.exists():
        held.update(expires_at=expires_at)
        return sum(held.values_list("amount", flat=True))
    return sum(r.amount for r in reserve_match(donation=donation, at=now, expires_at=expires_at))


def begin_checkout(
    *, donation: Donation, product_name: str, success_url: str, cancel_url: str, locale: str
) -> str:
    """Create the provider's checkout for a pending donation and return its URL.

    Holds match first (its expiry equals the session's), then calls the provider outside
    any transaction. On provider failure the donation is marked failed and its match
    released, and ``PaymentProviderError`` is raised. Not a single transaction on purpose:
    the provider call is network I/O.
    """
    provider = online_provider_name()
    if not provider:
        raise PaymentProviderError("online payment is not configured")
    hold_match_for_checkout(donation=donation)
    expires_at = (
        MatchReservation.objects.filter(donation=donation, status=ReservationStatus.HELD)
        .values_list("expires_at", flat=True)
        .first()
        or checkout_expiry()
    )
    if provider == "stripe":
        from ..providers import stripe as impl
    else:
        from ..providers import testpay as impl
    try:
        result = impl.create_checkout_session(
            donation=donation,
            product_name=product_name,
            success_url=success_url,
            cancel_url=cancel_url,
            expires_at=expires_at,
            locale=locale,
        )
    except PaymentProviderError:
        mark_failed(donation=donation)
        raise
    Donation.objects.filter(pk=donation.pk).update(
        external_id=result.session_id, checkout_url=result.url
    )
    return result.url
