"""The interface between a payment provider and the webhook inbox.

A provider plugs in with one **adapter** (a :class:`ProviderAdapter` subclass in its own
module, e.g. ``funding/providers/stripe.py``) listed in
:data:`funding.providers.registry.ADAPTERS`. The generic endpoint
(``POST /funding/<provider>/notify/``; Stripe also keeps ``/funding/stripe/webhook/``)
then does, for every provider alike:

1. ``adapter.verify(request)`` — check the signature (and decrypt) and return the
   :class:`Notification` objects in the body; raise :class:`InvalidNotification` for a
   bad signature, a stale timestamp or a body without a usable event id. Nothing is
   stored then, and ``adapter.rejected(exc)`` is the answer.
2. store each notification in the inbox once (unique per provider and ``event_id``) and
   answer ``adapter.accepted(duplicate=…)`` at once, in the provider's format.
3. later, in a worker, ``adapter.normalise(event_type, payload)`` turns the stored
   payload into :class:`PaymentEvent` objects (paid / awaiting / failed / expired /
   refunded / dispute …), which the inbox applies to the gift. A payload whose shape is
   wrong raises :class:`MalformedNotification`: the event is kept, marked *ignored* with
   the reason, never retried and never counted.

``normalise`` must be a pure function of the payload (no I/O): it runs inside the
worker's batch transaction and again whenever finance re-runs a parked event.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse

MAX_FEN = 2**63 - 1  # bigint
# Beijing time: WeChat Pay's and Alipay's order expiry fields are in it.
CHINA_TZ = timezone(timedelta(hours=8))

logger = logging.getLogger(__name__)


class InvalidNotification(Exception):
    """The request is not a notification we can trust or identify; nothing is stored."""


class MalformedNotification(Exception):
    """A verified notification whose content has the wrong shape (kept, ignored)."""


class PaymentEventKind(enum.StrEnum):
    PAID = "paid"  # money received (amount, currency)
    AWAITING = "awaiting"  # checkout finished, an asynchronous payment is under way
    FAILED = "failed"  # the payment failed
    EXPIRED = "expired"  # the checkout expired unpaid
    REFUNDED = "refunded"  # money went back (see PaymentEvent.refunded_total / refund_id)
    REFUND_FAILED = "refund_failed"  # a refund we asked for ended without money moving
    DISPUTE_OPENED = "dispute_opened"
    DISPUTE_WON = "dispute_won"
    DISPUTE_LOST = "dispute_lost"


@dataclass(frozen=True)
class Notification:
    """A verified notification, as stored in the inbox.

    ``event_id`` is unique per provider (a re-delivery carries the same id);
    ``payload`` is the verified plain content (decrypted where the provider encrypts),
    JSON-serialisable; ``stream`` groups events that must be applied in arrival order
    (e.g. our donation or order reference), empty when order does not matter.
    """

    event_id: str
    event_type: str
    payload: dict
    stream: str = ""


@dataclass(frozen=True)
class PaymentEvent:
    """A provider-neutral fact about one payment.

    Identify the payment with any of: ``checkout_id`` (the provider's checkout/order id:
    Stripe Checkout Session id, WeChat Pay / Alipay ``out_trade_no``),
    ``transaction_id`` (the provider's payment id: Stripe PaymentIntent, WeChat Pay
    ``transaction_id``, Alipay ``trade_no``) and ``donation_id`` (our gift's id when the
    provider echoes it back from metadata/attach). Amounts are integer minor units (fen).

    - ``PAID``: ``amount`` and ``currency`` received.
    - ``REFUNDED``: either ``refunded_total`` (cumulative refunded amount, e.g. Stripe's
      ``amount_refunded``) or ``refund_id`` + ``amount`` (one refund; applied once per
      id). ``paid_amount`` (optional) proves the payment itself when the refund arrives
      before the payment notification. ``out_refund_no`` (our refund number, when the
      provider echoes it) settles the :class:`~funding.models.RefundRequest`.
    - ``REFUND_FAILED``: the refund ``out_refund_no`` ended without money moving
      (WeChat Pay ``ABNORMAL`` / ``CLOSED``, or unknown to the provider); ``reason`` is
      the provider's word for it.
    """

    kind: PaymentEventKind
    checkout_id: str = ""
    transaction_id: str = ""
    donation_id: int | None = None
    amount: int | None = None
    currency: str = ""
    refunded_total: int | None = None
    refund_id: str = ""
    paid_amount: int | None = None
    occurred_at: datetime | None = None
    out_refund_no: str = ""
    reason: str = ""


@dataclass(frozen=True)
class RefundAnswer:
    """A provider's answer to a refund request: its status word (``PROCESSING``,
    ``SUCCESS`` …) and the notifications to store when the answer is final."""

    status: str
    notifications: list[Notification]


class ProviderAdapter:
    """Base class of provider adapters; override the four methods below.

    ``name`` is the URL/registry name (``stripe``); ``donation_source`` the
    ``DonationSource`` value of gifts paid through it.
    """

    name: str = ""
    donation_source: str = ""

    def verify(self, request: HttpRequest) -> list[Notification]:
        raise NotImplementedError

    def normalise(self, event_type: str, payload: dict) -> list[PaymentEvent]:
        raise NotImplementedError

    def accepted(self, *, duplicate: bool) -> HttpResponse:
        """The answer to a stored (or already stored) notification."""
        return JsonResponse({"received": True, "duplicate": duplicate})

    def rejected(self, exc: InvalidNotification) -> HttpResponse:
        """The answer to a notification that failed verification (nothing stored)."""
        return JsonResponse({"error": "invalid notification"}, status=400)

    def unavailable(self) -> HttpResponse:
        """The answer when the inbox could not store the notification (retry later)."""
        return JsonResponse({"error": "internal error"}, status=500)


# --- shape checks for normalise() -----------------------------------------------------


def require_dict(value, what: str) -> dict:
    if not isinstance(value, dict):
        raise MalformedNotification(f"{what} is not an object")
    return value


def optional_str(obj: dict, key: str) -> str:
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise MalformedNotification(f"{key} is not a string")
    return value[:200]


def optional_fen(obj: dict, key: str) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_FEN:
        raise MalformedNotification(f"{key} is not an amount in minor units")
    return value


def optional_id(value) -> int | None:
    """A gift id echoed back by the provider (a string of digits), else None."""
    if isinstance(value, str) and value.isdigit() and len(value) <= 18:
        return int(value)
    return None


# --- shared by the providers that take orders by number (WeChat Pay, Alipay) -----------


def read_secret(value: str, path: str) -> str:
    """A key given inline in the settings, else read from ``path`` ("" when neither)."""
    if value:
        return value
    if path:
        try:
            return Path(path).read_text()
        except OSError:
            logger.warning("payment key file %s cannot be read", path)
    return ""


def notify_url(provider: str) -> str:
    """The absolute address the provider posts its notifications to."""
    return settings.SITE_URL + reverse("funding:notify", kwargs={"provider": provider})


def order_number(donation, expires_at: datetime) -> str:
    """``out_trade_no`` of one checkout: the gift and the checkout's expiry (within both
    providers' limits: ``[A-Za-z0-9]``, 6–32 characters), so reopening an unexpired
    checkout names the same order."""
    return f"G{donation.pk}T{int(expires_at.timestamp())}"


def order_stream(provider: str, payload: dict) -> str:
    """Events of one order (payment, refunds, query answers) apply in arrival order."""
    out_trade_no = payload.get("out_trade_no")
    return f"{provider}:{out_trade_no}"[:200] if isinstance(out_trade_no, str) else ""
