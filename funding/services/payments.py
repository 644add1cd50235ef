"""Apply provider-neutral payment events (:class:`~funding.providers.base.PaymentEvent`)
to gifts. Called by the inbox worker; plain data in, no SDK here."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from ..enums import DisputeStatus, DonationStatus
from ..models import Donation
from ..providers.base import PaymentEvent, PaymentEventKind
from .donations import mark_failed, mark_succeeded, record_dispute, record_refund


def _find_donation(source: str, event: PaymentEvent) -> Donation | None:
    q = Q(pk__in=[])
    if event.checkout_id:
        q |= Q(external_id=event.checkout_id)
    if event.transaction_id:
        q |= Q(payment_intent=event.transaction_id)
    if event.donation_id:
        q |= Q(pk=event.donation_id)
    return Donation.objects.filter(q, source=source).order_by("pk").first()


def _succeed(donation: Donation, event: PaymentEvent, amount: int, at: datetime) -> str:
    donation = mark_succeeded(
        donation=donation,
        amount_received=amount,
        currency=event.currency or donation.currency,
        payment_intent=event.transaction_id,
        at=at,
    )
    return "flagged" if donation.flagged else "succeeded"


def apply_payment_event(*, source: str, event: PaymentEvent, at: datetime) -> tuple[bool, str]:
    """Apply ``event`` to the gift it belongs to; return ``(applied, outcome)``.

    ``applied`` is False when no gift of ``source`` matches (the inbox then marks the
    event ignored). Every effect is idempotent, so applying an event twice changes
    nothing the second time.
    """
    donation = _find_donation(source, event)
    if donation is None:
        return False, "unknown payment"
    kind = event.kind
    if kind == PaymentEventKind.PAID:
        return True, _succeed(donation, event, event.amount or 0, at)
    if kind == PaymentEventKind.AWAITING:
        if event.transaction_id and not donation.payment_intent:
            Donation.objects.filter(pk=donation.pk).update(payment_intent=event.transaction_id)
        return True, "awaiting async payment"
    if kind in (PaymentEventKind.FAILED, PaymentEventKind.EXPIRED):
        status = (
            DonationStatus.FAILED if kind == PaymentEventKind.FAILED else DonationStatus.EXPIRED
        )
        mark_failed(donation=donation, status=status)
        return True, str(status)
    if kind == PaymentEventKind.REFUNDED:
        if donation.status != DonationStatus.SUCCEEDED and event.paid_amount is not None:
            _succeed(donation, event, event.paid_amount, at)
        reversed_now = record_refund(donation=donation, refunded_total=event.refunded_total or 0)
        return True, f"refunded {reversed_now}"
    status = {
        PaymentEventKind.DISPUTE_OPENED: DisputeStatus.OPEN,
        PaymentEventKind.DISPUTE_WON: DisputeStatus.WON,
        PaymentEventKind.DISPUTE_LOST: DisputeStatus.LOST,
    }[kind]
    record_dispute(donation=donation, status=status)
    return True, f"dispute {status}"
