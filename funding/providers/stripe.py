"""Everything that talks to Stripe. No other module imports ``stripe``."""

import json
import logging
from datetime import datetime

import stripe
from django.conf import settings

from ..errors import PaymentProviderError
from . import CheckoutResult

logger = logging.getLogger(__name__)


class InvalidSignature(Exception):
    """The webhook payload is not signed by our endpoint secret (or is stale)."""


def is_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def _client() -> stripe.StripeClient:
    kwargs = {"max_network_retries": 2}
    if settings.STRIPE_API_BASE:
        kwargs["base_addresses"] = {"api": settings.STRIPE_API_BASE.rstrip("/")}
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, **kwargs)


def create_checkout_session(*, donation, product_name: str, success_url: str,
                            cancel_url: str, expires_at: datetime, locale: str) -> CheckoutResult:
    """Create a Checkout Session for ``donation``; idempotent per donation and expiry.

    Raises ``PaymentProviderError`` (never the SDK's exception text to callers).
    """
    params = {
        "mode": "payment",
        "line_items": [{
            "quantity": 1,
            "price_data": {
                "currency": donation.currency.lower(),
                "unit_amount": donation.amount,
                "product_data": {"name": product_name[:250]},
            },
        }],
        "client_reference_id": str(donation.pk),
        "metadata": {"donation_id": str(donation.pk)},
        "payment_intent_data": {"metadata": {"donation_id": str(donation.pk)}},
        "success_url": success_url,
        "cancel_url": cancel_url,
        "expires_at": int(expires_at.timestamp()),
        "locale": "zh" if locale.startswith("zh") else "en",
    }
    if donation.donor_email:
        params["customer_email"] = donation.donor_email
    key = f"donation-{donation.pk}-checkout-{int(expires_at.timestamp())}"
    try:
        session = _client().v1.checkout.sessions.create(
            params=params, options={"idempotency_key": key}
        )
    except stripe.StripeError as exc:
        logger.warning("stripe checkout failed for donation %s: %s", donation.pk,
                       type(exc).__name__)
        raise PaymentProviderError("checkout could not be created") from exc
    return CheckoutResult(session_id=session.id, url=session.url)


def verify_event(payload: bytes, signature: str | None) -> dict:
    """Verify the ``Stripe-Signature`` header and return the event as plain data.

    Raises ``InvalidSignature`` for a missing secret, bad or stale signature, or bad JSON.
    """
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret or not signature:
        raise InvalidSignature("missing secret or signature")
    try:
        stripe.Webhook.construct_event(payload, signature, secret)
        return json.loads(payload)
    except (ValueError, stripe.SignatureVerificationError) as exc:
        raise InvalidSignature("signature verification failed") from exc
