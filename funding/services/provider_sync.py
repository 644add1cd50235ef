"""Ask a provider about a payment whose notification is late (WeChat Pay order query,
Alipay trade query).

The answer goes into the webhook inbox like a notification (its own event id, the same
payload shape), so it is applied on the same idempotent path: a payment reported by a
query *and* by its notification is one gift, counted once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.utils import timezone

from ..enums import DonationStatus, RefundRequestStatus
from ..errors import PaymentProviderError
from ..models import Donation, RefundRequest
from ..providers import configured_providers
from .inbox import kick_workers, store_notifications

logger = logging.getLogger(__name__)

# Providers that can be asked about one order.
QUERYABLE = ("wechatpay", "alipay")
POLL_SECONDS = 5


def _module(source: str):
    from ..providers import alipay, wechatpay

    return {"wechatpay": wechatpay, "alipay": alipay}[source]


def sync_payment(*, donation: Donation, now: datetime | None = None) -> int:
    """Query the provider about ``donation``'s open order and store a final answer in
    the inbox (then a worker applies it). Returns how many new inbox events were
    stored. Raises ``PaymentProviderError`` when the provider cannot be asked."""
    if donation.source not in QUERYABLE or not donation.external_id:
        return 0
    if donation.source not in configured_providers():
        raise PaymentProviderError("provider not configured")
    now = now or timezone.now()
    expired = bool(donation.checkout_expires_at and donation.checkout_expires_at < now)
    notifications = _module(donation.source).query_notifications(
        donation.external_id, expired=expired
    )
    created = store_notifications(provider=donation.source, notifications=notifications)
    if created:
        kick_workers()
    return created


def sync_if_due(*, donation: Donation) -> Donation:
    """For the payment page's poll: query at most every ``POLL_SECONDS`` per gift;
    never raises (a provider outage only means the page keeps waiting). Returns the
    gift as it is now."""
    if donation.source not in QUERYABLE or not donation.external_id:
        return donation
    if not cache.add(f"funding:sync:{donation.pk}", 1, timeout=POLL_SECONDS):
        return donation
    try:
        sync_payment(donation=donation)
    except PaymentProviderError:
        logger.info("order query for gift %s failed; the page keeps polling", donation.pk)
        return donation
    donation.refresh_from_db(fields=["status"])
    return donation


@dataclass
class SyncResult:
    asked: int = 0
    stored: int = 0
    errors: int = 0


def sync_pending(*, now: datetime | None = None, max_age_days: int = 3) -> SyncResult:
    """Ask the providers about every gift still awaiting payment with an order placed
    in the last ``max_age_days`` (``manage.py reconcile --sync-providers``, or a
    schedule): late payments are counted, orders that can no longer be paid closed."""
    now = now or timezone.now()
    result = SyncResult()
    pending = Donation.objects.filter(
        status=DonationStatus.PENDING,
        source__in=[s for s in QUERYABLE if s in configured_providers()],
        created_at__gte=now - timedelta(days=max_age_days),
    ).exclude(external_id="")
    for donation in pending.order_by("pk").iterator():
        result.asked += 1
        try:
            result.stored += sync_payment(donation=donation, now=now)
        except PaymentProviderError:
            result.errors += 1
    return result


# A request younger than this may still be on its way to the provider (the row is
# committed just before the call): asking about it could wrongly find it unknown.
REFUND_QUERY_AFTER = timedelta(minutes=10)


def sync_refund_requests(*, now: datetime | None = None) -> SyncResult:
    """Ask the providers about every refund request still without a final answer and
    older than ``REFUND_QUERY_AFTER`` (``manage.py reconcile --sync-providers``).

    A final answer is stored in the inbox and applied there like a notification: a
    refund made moves the ledger once and marks the request succeeded; one the provider
    closed, reports abnormal or never received marks it failed, so finance can ask
    again. ``PROCESSING`` leaves it waiting."""
    now = now or timezone.now()
    result = SyncResult()
    waiting = (
        RefundRequest.objects.filter(
            status=RefundRequestStatus.REQUESTED,
            created_at__lte=now - REFUND_QUERY_AFTER,
            donation__source__in=[s for s in QUERYABLE if s in configured_providers()],
        )
        .select_related("donation")
        .order_by("pk")
    )
    for request in waiting.iterator():
        result.asked += 1
        module = _module(request.donation.source)
        kwargs = {"donation": request.donation, "out_refund_no": request.out_refund_no}
        if request.donation.source == "alipay":
            kwargs["amount"] = request.amount
        try:
            answer = module.query_refund(**kwargs)
        except PaymentProviderError:
            logger.info("refund query for %s failed", request.out_refund_no)
            result.errors += 1
            continue
        RefundRequest.objects.filter(pk=request.pk, status=RefundRequestStatus.REQUESTED).update(
            provider_status=answer.status[:40], updated_at=now
        )
        result.stored += store_notifications(
            provider=request.donation.source, notifications=answer.notifications
        )
    if result.stored:
        kick_workers()
    return result
