"""Apply verified Stripe events. Plain data in, no SDK here."""

import logging

from django.db import IntegrityError, transaction
from django.db.models import Q

from ..enums import DisputeStatus, DonationSource, DonationStatus
from ..models import Donation, StripeEvent
from .donations import mark_failed, mark_succeeded, record_dispute, record_refund

logger = logging.getLogger(__name__)


def _find_by_session(obj: dict) -> Donation | None:
    ref = (obj.get("metadata") or {}).get("donation_id") or obj.get("client_reference_id")
    q = Q(source=DonationSource.STRIPE, external_id=obj.get("id", "") or "-")
    if ref and str(ref).isdigit():
        q |= Q(pk=int(ref), source=DonationSource.STRIPE)
    return Donation.objects.filter(q).first()


def _find_by_charge(obj: dict) -> Donation | None:
    ref = (obj.get("metadata") or {}).get("donation_id")
    q = Q(pk__in=[])
    if obj.get("payment_intent"):
        q |= Q(payment_intent=obj["payment_intent"])
    if ref and str(ref).isdigit():
        q |= Q(pk=int(ref))
    return Donation.objects.filter(q, source=DonationSource.STRIPE).first()


def _succeed_from_session(donation: Donation, obj: dict) -> str:
    mark_succeeded(
        donation=donation,
        amount_received=int(obj.get("amount_total") or 0),
        currency=obj.get("currency") or donation.currency,
        payment_intent=obj.get("payment_intent") or "",
    )
    donation.refresh_from_db()
    return "flagged" if donation.flagged else "succeeded"


def _on_session_completed(obj: dict) -> str:
    donation = _find_by_session(obj)
    if donation is None:
        return "unknown donation"
    if obj.get("payment_status") in ("paid", "no_payment_required"):
        return _succeed_from_session(donation, obj)
    if obj.get("payment_intent") and not donation.payment_intent:
        Donation.objects.filter(pk=donation.pk).update(payment_intent=obj["payment_intent"])
    return "awaiting async payment"


def _on_async_succeeded(obj: dict) -> str:
    donation = _find_by_session(obj)
    return _succeed_from_session(donation, obj) if donation else "unknown donation"


def _on_async_failed(obj: dict) -> str:
    donation = _find_by_session(obj)
    if donation is None:
        return "unknown donation"
    mark_failed(donation=donation, status=DonationStatus.FAILED)
    return "failed"


def _on_session_expired(obj: dict) -> str:
    donation = _find_by_session(obj)
    if donation is None:
        return "unknown donation"
    mark_failed(donation=donation, status=DonationStatus.EXPIRED)
    return "expired"


def _ensure_paid_from_charge(donation: Donation, charge: dict) -> None:
    """A charge event may arrive before checkout.session.completed: the charge proves
    the payment, so complete the donation first (the later session event is a no-op)."""
    if donation.status != DonationStatus.SUCCEEDED and charge.get("paid", True):
        mark_succeeded(
            donation=donation,
            amount_received=int(charge.get("amount_captured") or charge.get("amount")),
            currency=charge.get("currency") or donation.currency,
            payment_intent=charge.get("payment_intent") or "",
        )


def _on_charge_refunded(obj: dict) -> str:
    donation = _find_by_charge(obj)
    if donation is None:
        return "unknown donation"
    _ensure_paid_from_charge(donation, obj)
    reversed_now = record_refund(
        donation=donation, refunded_total=int(obj.get("amount_refunded") or 0)
    )
    return f"refunded {reversed_now}"


def _dispute_donation(obj: dict) -> Donation | None:
    charge = obj.get("charge")
    charge_obj = charge if isinstance(charge, dict) else {}
    return _find_by_charge(
        {
            "payment_intent": obj.get("payment_intent") or charge_obj.get("payment_intent"),
            "metadata": obj.get("metadata") or charge_obj.get("metadata"),
        }
    )


def _on_dispute_created(obj: dict) -> str:
    donation = _dispute_donation(obj)
    if donation is None:
        return "unknown donation"
    record_dispute(donation=donation, status=DisputeStatus.OPEN)
    return "dispute open"


def _on_dispute_closed(obj: dict) -> str:
    donation = _dispute_donation(obj)
    if donation is None:
        return "unknown donation"
    status = DisputeStatus.LOST if obj.get("status") == "lost" else DisputeStatus.WON
    record_dispute(donation=donation, status=status)
    return f"dispute {status}"


HANDLERS = {
    "checkout.session.completed": _on_session_completed,
    "checkout.session.async_payment_succeeded": _on_async_succeeded,
    "checkout.session.async_payment_failed": _on_async_failed,
    "checkout.session.expired": _on_session_expired,
    "charge.refunded": _on_charge_refunded,
    "charge.dispute.created": _on_dispute_created,
    "charge.dispute.closed": _on_dispute_closed,
}


@transaction.atomic
def process_stripe_event(event: dict) -> str:
    """Apply one verified event exactly once.

    The event id is inserted (unique) in the same transaction as the effects: a duplicate
    delivery returns ``"duplicate"`` and changes nothing; if applying fails, nothing is
    kept (not even the id), so Stripe's next delivery completes it. Returns an outcome
    word for the log. Unknown event types are recorded and ignored.
    """
    try:
        with transaction.atomic():
            record = StripeEvent.objects.create(event_id=event["id"], type=event.get("type", ""))
    except IntegrityError:
        return "duplicate"
    handler = HANDLERS.get(record.type)
    obj = (event.get("data") or {}).get("object") or {}
    outcome = handler(obj) if handler else "ignored"
    StripeEvent.objects.filter(pk=record.pk).update(outcome=outcome[:200])
    return outcome
