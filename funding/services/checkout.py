"""Online checkout: reserve match, then hand over to the payment provider."""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from ..enums import DonationStatus, ReservationStatus
from ..errors import InvalidTransition, PaymentProviderError
from ..models import Donation, MatchReservation
from ..providers import configured_providers
from .donations import mark_failed
from .guards import refuse_closed_project
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
def hold_match_for_checkout(
    *, donation: Donation, now: datetime | None = None, expires_at: datetime | None = None
) -> int:
    """Reserve (or re-extend) match for a pending donation until ``expires_at`` (default:
    a checkout expiry from now).

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
    expires_at = expires_at or checkout_expiry(now)
    held = MatchReservation.objects.filter(donation=donation, status=ReservationStatus.HELD)
    if held.exists():
        held.update(expires_at=expires_at)
        return sum(held.values_list("amount", flat=True))
    return sum(r.amount for r in reserve_match(donation=donation, at=now, expires_at=expires_at))


@transaction.atomic
def _claim_checkout(*, donation: Donation, now: datetime) -> tuple[datetime, str]:
    """Decide, under the donation's row lock, which checkout session the donor gets.

    While the last session has not expired it is reused: ``(its expiry, its URL)`` (the
    URL is empty while another request is still creating it; calling the provider again
    with the same expiry gives the same session, by idempotency key). Otherwise the
    match hold is renewed until a new expiry, which is stored before the provider is
    called, so concurrent clicks all ask for the same session.
    """
    donation = Donation.objects.select_for_update(of=("self",)).get(pk=donation.pk)
    if donation.status != DonationStatus.PENDING:
        raise InvalidTransition("donation is not awaiting payment")
    refuse_closed_project(donation.project)
    if donation.checkout_expires_at and donation.checkout_expires_at > now:
        return donation.checkout_expires_at, donation.checkout_url
    expires_at = checkout_expiry(now)
    hold_match_for_checkout(donation=donation, now=now, expires_at=expires_at)
    donation.checkout_expires_at = expires_at
    donation.checkout_url = ""
    donation.save(update_fields=["checkout_expires_at", "checkout_url"])
    return expires_at, ""


def _provider_module(source: str):
    if source == "stripe":
        from ..providers import stripe as impl
    elif source == "wechatpay":
        from ..providers import wechatpay as impl
    elif source == "alipay":
        from ..providers import alipay as impl
    else:
        from ..providers import testpay as impl
    return impl


def begin_checkout(
    *,
    donation: Donation,
    product_name: str,
    success_url: str,
    cancel_url: str,
    locale: str,
    channel: str = "",
    client_ip: str | None = None,
    payer_openid: str = "",
) -> str:
    """Return the URL of the donation's one payable checkout session.

    One gift has at most one open session at the provider: while its session has not
    expired, reopening checkout returns the same one (no new session, so the donor can
    never pay twice through two sessions); after it expired (the provider refuses
    payment from then on) a new one is created and match is held again until the new
    expiry. The provider is called outside any transaction (network I/O) with an
    idempotency key derived from the session's expiry. On provider failure the donation
    is marked failed and its match released, and ``PaymentProviderError`` is raised;
    ``InvalidTransition`` unless the donation awaits payment; ``ProjectClosedToMoney``
    when its project was closed, terminated or is not agreed (no session is created).

    The provider is the gift's own ``source`` (chosen on the donate page), which must
    still be configured; ``channel`` (WeChat Pay: ``native`` QR code, ``h5`` or
    ``jsapi``), ``client_ip`` and ``payer_openid`` (WeChat Pay JSAPI) are passed to
    providers that need them.
    """
    provider = donation.source
    if provider not in configured_providers():
        raise PaymentProviderError("this payment provider is not configured")
    expires_at, url = _claim_checkout(donation=donation, now=timezone.now())
    if url:
        return url
    impl = _provider_module(provider)
    wallets = ("wechatpay", "alipay")
    extra = {"channel": channel, "client_ip": client_ip} if provider in wallets else {}
    if provider == "wechatpay" and payer_openid:
        extra["payer_openid"] = payer_openid
    try:
        result = impl.create_checkout_session(
            donation=donation,
            product_name=product_name,
            success_url=success_url,
            cancel_url=cancel_url,
            expires_at=expires_at,
            locale=locale,
            **extra,
        )
    except PaymentProviderError:
        mark_failed(donation=donation)
        raise
    Donation.objects.filter(pk=donation.pk, checkout_expires_at=expires_at).update(
        external_id=result.session_id, checkout_url=result.url, payment_code=result.code
    )
    return result.url
