"""Apply provider-neutral payment events (:class:`~funding.providers.base.PaymentEvent`)
to gifts. Called by the inbox worker; plain data in, no SDK here.

One payment is one gift: every event is matched to the gift by the provider's payment
(checkout session / order id, then payment intent / transaction id). The gift id echoed
in the metadata only says which gift an *unknown* payment was meant for; it never
redirects an event of another payment (a refund of a second payment must not reverse
the kept gift).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q

from ..enums import DisputeStatus, DonationStatus, ReservationStatus
from ..models import Donation, LedgerTransaction, MatchReservation
from ..providers.base import PaymentEvent, PaymentEventKind
from . import batching
from .donations import (
    _find_by_payment,
    mark_failed,
    record_dispute,
    record_payment,
    record_provider_refund,
    record_refund,
)
from .matching import lock_for_counting
from .refunds import settle_refund_request


def async_hold() -> timedelta:
    """How long match stays held for a checkout that finished with an asynchronous
    payment still under way (``FUNDING_ASYNC_HOLD_HOURS``, default 14 days: the
    longest settlement time of Stripe's delayed methods)."""
    return timedelta(hours=getattr(settings, "FUNDING_ASYNC_HOLD_HOURS", 14 * 24))


def _find(source: str, event: PaymentEvent) -> Donation | None:
    return _find_by_payment(
        source=source, checkout_id=event.checkout_id, transaction_id=event.transaction_id
    )


def _pay(source: str, event: PaymentEvent, amount: int, at: datetime):
    return record_payment(
        source=source,
        donation_id=event.donation_id,
        checkout_id=event.checkout_id,
        transaction_id=event.transaction_id,
        amount=amount,
        currency=event.currency,
        at=at,
    )


def _awaiting(source: str, event: PaymentEvent, at: datetime) -> tuple[bool, str]:
    """The checkout finished and an asynchronous payment is under way: remember its
    payment intent and keep the gift's match held until the payment settles."""
    donation = _find(source, event)
    if donation is None:
        gift = Donation.objects.filter(source=source, pk=event.donation_id).first()
        if gift is None or gift.status != DonationStatus.PENDING or gift.duplicate_of_id:
            return False, "unknown payment"
        donation = gift
    if donation.status != DonationStatus.PENDING:
        return True, "awaiting async payment (gift already settled)"
    changes = {}
    if event.checkout_id and donation.external_id != event.checkout_id:
        changes["external_id"] = event.checkout_id
    if event.transaction_id and not donation.payment_intent:
        changes["payment_intent"] = event.transaction_id
    if changes:
        Donation.objects.filter(pk=donation.pk).update(**changes)
    MatchReservation.objects.filter(donation=donation, status=ReservationStatus.HELD).update(
        expires_at=at + async_hold()
    )
    return True, "awaiting async payment"


def _refund_failed(event: PaymentEvent, donation: Donation | None) -> tuple[bool, str]:
    """A refund we asked for ended without money moving: settle its request (after the
    gift's row lock, the order every refund path takes)."""
    if donation is None:
        return False, "refund failure on an unknown payment"
    Donation.objects.select_for_update(of=("self",)).filter(pk=donation.pk).first()
    outcome = settle_refund_request(
        donation=donation,
        out_refund_no=event.out_refund_no,
        succeeded=False,
        provider_status=event.reason,
        reason=event.reason,
    )
    return outcome != "no refund request", f"refund failed: {outcome}"


def apply_payment_event(*, source: str, event: PaymentEvent, at: datetime) -> tuple[bool, str]:
    """Apply ``event`` to the payment it belongs to; return ``(applied, outcome)``.

    ``applied`` is False when the payment is not ours (the inbox then marks the event
    ignored). Every effect is idempotent, so applying an event twice changes nothing
    the second time.
    """
    kind = event.kind
    if kind == PaymentEventKind.PAID:
        donation, outcome = _pay(source, event, event.amount or 0, at)
        return donation is not None, outcome
    if kind == PaymentEventKind.AWAITING:
        return _awaiting(source, event, at)
    donation = _find(source, event)
    if kind in (PaymentEventKind.FAILED, PaymentEventKind.EXPIRED):
        if donation is None:
            return False, "unknown or superseded checkout session"
        status = (
            DonationStatus.FAILED if kind == PaymentEventKind.FAILED else DonationStatus.EXPIRED
        )
        mark_failed(donation=donation, status=status)
        return True, str(status)
    if kind == PaymentEventKind.REFUNDED:
        if donation is None or donation.status != DonationStatus.SUCCEEDED:
            # A refund that arrives before its payment's notification proves the payment.
            if event.paid_amount is None:
                return False, "refund of an unknown payment"
            donation, _outcome = _pay(source, event, event.paid_amount, at)
            if donation is None:
                return False, "refund of an unknown payment"
        if event.refund_id:
            if event.amount is None:
                return False, "refund without amount"
            reversed_now = record_provider_refund(
                donation=donation, refund_id=event.refund_id, amount=event.amount
            )
            outcome = f"refund {event.refund_id[:40]}: reversed {reversed_now}"
        else:
            reversed_now = record_refund(
                donation=donation, refunded_total=event.refunded_total or 0
            )
            outcome = f"refunded {reversed_now}"
        if event.out_refund_no:
            outcome += "; " + settle_refund_request(
                donation=donation, out_refund_no=event.out_refund_no, succeeded=True
            )
        return True, outcome
    if kind == PaymentEventKind.REFUND_FAILED:
        return _refund_failed(event, donation)
    if donation is None:
        return False, "dispute on an unknown payment"
    status = {
        PaymentEventKind.DISPUTE_OPENED: DisputeStatus.OPEN,
        PaymentEventKind.DISPUTE_WON: DisputeStatus.WON,
        PaymentEventKind.DISPUTE_LOST: DisputeStatus.LOST,
    }[kind]
    record_dispute(donation=donation, status=status)
    return True, f"dispute {status}"


def lock_for_events(*, events: list[tuple[str, PaymentEvent]], at: datetime) -> None:
    """One lock pass for a batch of ``(source, event)`` pairs, in the global lock order:
    the gifts they name (by payment or gift id), then their calls' rules, projects and
    pools (``lock_for_counting``). Applying many gifts in one transaction otherwise takes
    project → pool for each gift in turn, so gift 2's project lock comes after gift 1's
    pool lock, and two workers deadlock. Over-locking a gift the event turns out not to
    belong to is harmless. Call inside the batch's transaction."""
    refs = Q()
    for source, event in events:
        if event.checkout_id:
            refs |= Q(source=source, external_id=event.checkout_id)
        if event.transaction_id:
            refs |= Q(source=source, payment_intent=event.transaction_id)
        if event.donation_id:
            refs |= Q(source=source, pk=event.donation_id)
    if not refs:
        return
    gifts = list(
        Donation.objects.filter(refs)
        .select_related("project")
        .order_by("pk")
        .select_for_update(of=("self",))
    )
    batch = batching.current()
    if batch is not None and gifts:
        # The batch decides "already posted?" for these gifts from one read.
        ids = [g.pk for g in gifts]
        batch.donation_ids.update(ids)
        batch.known_keys.update(
            LedgerTransaction.objects.filter(donation_id__in=ids).values_list(
                "idempotency_key", flat=True
            )
        )
    lock_for_counting(projects={g.project for g in gifts if g.project_id}, at=at)
