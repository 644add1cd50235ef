"""Everything that talks to Stripe. No other module imports ``stripe``."""

import json
import logging
import os
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


# Payment methods we know how to request for CNY Checkout Sessions.
CNY_METHODS = ("card", "alipay", "wechat_pay")


def cny_payment_methods() -> list[str]:
    """Methods to request for CNY gifts: ``settings.FUNDING_STRIPE_CNY_PAYMENT_METHODS`` (a
    list), else the environment variable of that name (comma-separated), else none (the
    Stripe account's own payment-method settings decide). Unknown names are ignored."""
    value = getattr(settings, "FUNDING_STRIPE_CNY_PAYMENT_METHODS", None)
    if value is None:
        value = os.environ.get("FUNDING_STRIPE_CNY_PAYMENT_METHODS", "")
    if isinstance(value, str):
        value = value.split(",")
    chosen = [m.strip() for m in value if m and m.strip() in CNY_METHODS]
    return list(dict.fromkeys(chosen))


def payment_method_params(currency: str) -> dict:
    """``payment_method_types`` (and WeChat Pay's web client option) for a session."""
    methods = cny_payment_methods() if currency.upper() == "CNY" else []
    if not methods:
        return {}
    params: dict = {"payment_method_types": methods}
    if "wechat_pay" in methods:
        params["payment_method_options"] = {"wechat_pay": {"client": "web"}}
    return params


def _client() -> stripe.StripeClient:
    kwargs = {"max_network_retries": 2}
    if settings.STRIPE_API_BASE:
        kwargs["base_addresses"] = {"api": settings.STRIPE_API_BASE.rstrip("/")}
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, **kwargs)


def create_checkout_session(
    *,
    donation,
    product_name: str,
    success_url: str,
    cancel_url: str,
    expires_at: datetime,
    locale: str,
) -> CheckoutResult:
    """Create a Checkout Session for ``donation``; idempotent per donation and expiry.

    Raises ``PaymentProviderError`` (never the SDK's exception text to callers).
    """
    params = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": donation.currency.lower(),
                    "unit_amount": donation.amount,
                    "product_data": {"name": product_name[:250]},
                },
            }
        ],
        "client_reference_id": str(donation.pk),
        "metadata": {"donation_id": str(donation.pk)},
        "payment_intent_data": {"metadata": {"donation_id": str(donation.pk)}},
        "success_url": success_url,
        "cancel_url": cancel_url,
        "expires_at": int(expires_at.timestamp()),
        "locale": "zh" if locale.startswith("zh") else "en",
    }
    params.update(payment_method_params(donation.currency))
    if donation.donor_email:
        params["customer_email"] = donation.donor_email
    key = f"donation-{donation.pk}-checkout-{int(expires_at.timestamp())}"
    try:
        session = _client().v1.checkout.sessions.create(
            params=params, options={"idempotency_key": key}
        )
    except stripe.StripeError as exc:
        logger.warning(
            "stripe checkout failed for donation %s: %s", donation.pk, type(exc).__name__
        )
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
