"""Everything that talks to Stripe. No other module imports ``stripe``."""

import json
import logging
import os
from datetime import datetime

import stripe
from django.conf import settings
from django.http import HttpResponse, JsonResponse

from ..errors import PaymentProviderError
from . import CheckoutResult
from .base import (
    InvalidNotification,
    MalformedNotification,
    Notification,
    PaymentEvent,
    PaymentEventKind,
    ProviderAdapter,
    optional_fen,
    optional_id,
    optional_str,
    require_dict,
)

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

    Raises ``InvalidSignature`` for a missing secret, bad or stale signature, a body that
    is not JSON, or JSON that is not an event object with a string ``id``.
    """
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret or not signature:
        raise InvalidSignature("missing secret or signature")
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8") if isinstance(payload, bytes) else payload,
            signature,
            secret,
            stripe.Webhook.DEFAULT_TOLERANCE,
        )
        event = json.loads(payload)
    except (ValueError, stripe.SignatureVerificationError) as exc:
        raise InvalidSignature("signature verification failed") from exc
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) or not event["id"]:
        raise InvalidSignature("not an event object")
    return event


def _session_events(kind: PaymentEventKind, obj: dict) -> list[PaymentEvent]:
    metadata = require_dict(obj.get("metadata") or {}, "metadata")
    donation_id = optional_id(metadata.get("donation_id")) or optional_id(
        obj.get("client_reference_id")
    )
    checkout_id = optional_str(obj, "id")
    if not checkout_id:
        raise MalformedNotification("session without id")
    amount = optional_fen(obj, "amount_total")
    currency = optional_str(obj, "currency").upper()
    if kind == PaymentEventKind.PAID and (amount is None or not currency):
        raise MalformedNotification("paid session without amount_total or currency")
    return [
        PaymentEvent(
            kind=kind,
            checkout_id=checkout_id,
            transaction_id=optional_str(obj, "payment_intent"),
            donation_id=donation_id,
            amount=amount,
            currency=currency,
        )
    ]


def _charge_refs(obj: dict) -> dict:
    metadata = require_dict(obj.get("metadata") or {}, "metadata")
    return {
        "transaction_id": optional_str(obj, "payment_intent"),
        "donation_id": optional_id(metadata.get("donation_id")),
    }


def _dispute_events(obj: dict, *, closed: bool) -> list[PaymentEvent]:
    charge = obj.get("charge")
    charge_obj = charge if isinstance(charge, dict) else {}
    transaction_id = optional_str(obj, "payment_intent") or optional_str(
        charge_obj, "payment_intent"
    )
    metadata = require_dict(obj.get("metadata") or charge_obj.get("metadata") or {}, "metadata")
    if not closed:
        kind = PaymentEventKind.DISPUTE_OPENED
    elif optional_str(obj, "status") == "lost":
        kind = PaymentEventKind.DISPUTE_LOST
    else:
        kind = PaymentEventKind.DISPUTE_WON
    return [
        PaymentEvent(
            kind=kind,
            transaction_id=transaction_id,
            donation_id=optional_id(metadata.get("donation_id")),
        )
    ]


class StripeAdapter(ProviderAdapter):
    """Stripe webhooks (``Stripe-Signature``: ``t=…,v1=HMAC_SHA256(secret, "t.body")``)."""

    name = "stripe"
    donation_source = "stripe"

    def verify(self, request) -> list[Notification]:
        try:
            event = verify_event(request.body, request.META.get("HTTP_STRIPE_SIGNATURE"))
        except InvalidSignature as exc:
            raise InvalidNotification(str(exc)) from exc
        data = event.get("data")
        obj = data.get("object") if isinstance(data, dict) else None
        stream = ""
        if isinstance(obj, dict):
            metadata = obj.get("metadata")
            ref = metadata.get("donation_id") if isinstance(metadata, dict) else None
            stream = f"donation:{ref}" if optional_id(ref) else ""
        event_type = event.get("type")
        return [
            Notification(
                event_id=event["id"][:200],
                event_type=event_type[:100] if isinstance(event_type, str) else "",
                payload=event,
                stream=stream,
            )
        ]

    def normalise(self, event_type: str, payload: dict) -> list[PaymentEvent]:
        data = require_dict(payload.get("data"), "data")
        obj = require_dict(data.get("object"), "data.object")
        if event_type == "checkout.session.completed":
            paid = obj.get("payment_status") in ("paid", "no_payment_required")
            kind = PaymentEventKind.PAID if paid else PaymentEventKind.AWAITING
            return _session_events(kind, obj)
        if event_type == "checkout.session.async_payment_succeeded":
            return _session_events(PaymentEventKind.PAID, obj)
        if event_type == "checkout.session.async_payment_failed":
            return _session_events(PaymentEventKind.FAILED, obj)
        if event_type == "checkout.session.expired":
            return _session_events(PaymentEventKind.EXPIRED, obj)
        if event_type == "charge.refunded":
            refunded = optional_fen(obj, "amount_refunded")
            if refunded is None:
                raise MalformedNotification("charge without amount_refunded")
            captured = optional_fen(obj, "amount_captured")
            if captured is None:
                captured = optional_fen(obj, "amount")
            paid = obj.get("paid", True) is True
            return [
                PaymentEvent(
                    kind=PaymentEventKind.REFUNDED,
                    refunded_total=refunded,
                    paid_amount=captured if paid else None,
                    currency=optional_str(obj, "currency").upper(),
                    **_charge_refs(obj),
                )
            ]
        if event_type == "charge.dispute.created":
            return _dispute_events(obj, closed=False)
        if event_type == "charge.dispute.closed":
            return _dispute_events(obj, closed=True)
        return []

    def accepted(self, *, duplicate: bool) -> HttpResponse:
        return JsonResponse({"received": True, "duplicate": duplicate})

    def rejected(self, exc: InvalidNotification) -> HttpResponse:
        return JsonResponse({"error": "invalid signature"}, status=400)
