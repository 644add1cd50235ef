"""Finance asks a payment provider to refund a gift (WeChat Pay, Alipay).

Every request is a :class:`~funding.models.RefundRequest` row, written under the gift's
row lock and committed *before* the provider is called: while one request of a gift has
no final answer, another is refused, so two refunds are never in flight at once and the
refunds asked can never exceed what the gift has left. The money moves back at the
provider; the gift, its match and the ledger follow when the provider reports the
refund (notification, the API's own answer when it is final, or the query of
``reconcile --sync-providers``) — through the inbox, on the same idempotent path as
every other refund, which also settles the request row (:func:`settle_refund_request`).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from ..enums import DonationStatus, RefundRequestStatus
from ..errors import InvalidTransition, PaymentProviderError, ProviderRefused
from ..models import Donation, RefundRequest
from ..providers import configured_providers
from .inbox import kick_workers, store_notifications

REFUNDABLE = ("wechatpay", "alipay")
OPEN = RefundRequestStatus.REQUESTED


def can_refund_online(donation: Donation) -> bool:
    """Whether finance can ask the provider to refund (part of) this gift from here."""
    return (
        donation.source in REFUNDABLE
        and donation.source in configured_providers()
        and donation.status == DonationStatus.SUCCEEDED
        and bool(donation.external_id)
        and donation.refunded_amount < donation.amount
    )


def provider_module(source: str):
    from ..providers import alipay, wechatpay

    return {"wechatpay": wechatpay, "alipay": alipay}[source]


def _refuse_open(request: RefundRequest) -> None:
    raise InvalidTransition(
        f"refund {request.out_refund_no} still unreported",
        message=_(
            "A refund of %(amount)s yuan asked on %(when)s (%(number)s) has no answer from "
            "the payment provider yet. Wait for it before asking for another refund."
        )
        % {
            "amount": f"{request.amount / 100:.2f}",
            "when": date_format(timezone.localtime(request.created_at), "SHORT_DATETIME_FORMAT"),
            "number": request.out_refund_no,
        },
    )


@transaction.atomic
def _record_request(
    *, donation: Donation, amount: int, seen_refunded: int, by, reason: str
) -> RefundRequest:
    donation = Donation.objects.select_for_update(of=("self",)).get(pk=donation.pk)
    if donation.source not in REFUNDABLE or donation.source not in configured_providers():
        raise InvalidTransition(
            "provider cannot refund", message=_("This gift cannot be refunded from here.")
        )
    if donation.status != DonationStatus.SUCCEEDED or not donation.external_id:
        raise InvalidTransition("gift not paid", message=_("Only a paid gift can be refunded."))
    unreported = donation.refund_requests.filter(status=OPEN).order_by("pk").first()
    if unreported is not None:
        _refuse_open(unreported)
    if donation.refunded_amount != seen_refunded:
        raise InvalidTransition(
            "refunded amount changed",
            message=_(
                "This gift's refunds changed while you were deciding; check it again "
                "before asking for another refund."
            ),
        )
    # What is left counts the unreported requests too; with the refusal above there is
    # none, so it is what the provider has not refunded yet.
    left = donation.amount - donation.refunded_amount
    if not 0 < amount <= left:
        raise InvalidTransition(
            "bad refund amount",
            message=_("The refund must be more than zero and at most %(left)s fen.")
            % {"left": left},
        )
    number = donation.refund_requests.count() + 1
    try:
        with transaction.atomic():
            request = RefundRequest.objects.create(
                donation=donation,
                out_refund_no=f"R{donation.pk}-{number}",
                amount=amount,
                note=reason[:100],
                requested_by=by,
            )
    except IntegrityError as exc:  # only without a row lock (never on PostgreSQL)
        raise InvalidTransition(
            "concurrent refund request",
            message=_("Another refund of this gift was asked at the same moment; check it again."),
        ) from exc
    log(
        instance=donation,
        action="funding.refund_requested",
        user=by,
        data={"amount": amount, "refund": request.out_refund_no},
    )
    return request


def request_refund(
    *, donation: Donation, amount: int, seen_refunded: int, by, reason: str = ""
) -> int:
    """Ask the provider to refund ``amount`` fen of ``donation``. Returns how many new
    inbox events were stored (1 when the provider answered finally at once, else 0: its
    notification follows).

    First, under the gift's row lock, a :class:`RefundRequest` is recorded (refund
    number ``R<gift>-<n>``) and committed; then the provider is called. Refused with
    ``InvalidTransition`` (translated message) — before anything is recorded or sent —
    while another request of the gift has no final answer, when the gift's refunded
    amount is no longer ``seen_refunded`` (what the person saw when deciding), for a
    gift that cannot be refunded this way, or for an amount above what is left.
    Raises ``PermissionDenied`` unless ``by`` may record money. ``ProviderRefused``:
    the provider refused (the request is marked failed; another may be asked).
    ``PaymentProviderError``: no answer came; the request stays unreported until the
    provider's notification or ``reconcile --sync-providers`` settles it.
    Must not run inside an outer transaction (the request row must be committed before
    the provider hears of it).
    """
    if not by.has_perm("funding.record_money"):
        raise PermissionDenied
    request = _record_request(
        donation=donation, amount=amount, seen_refunded=seen_refunded, by=by, reason=reason
    )
    donation = request.donation
    try:
        answer = provider_module(donation.source).refund(
            donation=donation, amount=amount, out_refund_no=request.out_refund_no, reason=reason
        )
    except ProviderRefused as exc:
        fail_refund_request(
            request=request, provider_status=exc.provider_code, reason=exc.provider_message
        )
        raise ProviderRefused(
            str(exc),
            provider_code=exc.provider_code,
            provider_message=exc.provider_message,
            message=_(
                "The payment provider refused the refund (%(code)s %(text)s); nothing was "
                "refunded. The request %(number)s is marked failed."
            )
            % {
                "code": exc.provider_code,
                "text": exc.provider_message,
                "number": request.out_refund_no,
            },
        ) from exc
    except PaymentProviderError as exc:
        raise PaymentProviderError(
            str(exc),
            message=_(
                "The payment provider did not answer. The refund request %(number)s is "
                "recorded: its notification, or the next provider check, settles it; "
                "no other refund of this gift can be asked until then."
            )
            % {"number": request.out_refund_no},
        ) from exc
    RefundRequest.objects.filter(pk=request.pk, status=OPEN).update(
        provider_status=answer.status[:40], updated_at=timezone.now()
    )
    created = store_notifications(provider=donation.source, notifications=answer.notifications)
    if created:
        kick_workers()
    return created


@transaction.atomic
def fail_refund_request(
    *, request: RefundRequest, provider_status: str, reason: str = ""
) -> RefundRequest:
    """The provider refused a request outright (nothing refunded): mark it failed."""
    Donation.objects.select_for_update(of=("self",)).filter(pk=request.donation_id).first()
    request = RefundRequest.objects.select_for_update().get(pk=request.pk)
    _settle(request, succeeded=False, provider_status=provider_status, reason=reason)
    return request


def settle_refund_request(
    *,
    donation: Donation,
    out_refund_no: str,
    succeeded: bool,
    provider_status: str = "",
    reason: str = "",
) -> str:
    """Record the provider's final word on the request ``out_refund_no`` (a refund
    notification or answer, applied by the inbox; call inside its transaction, after
    the gift's row lock). Returns a short outcome for the inbox.

    Success is final: a later failure report of the same refund changes nothing (an
    out-of-order ``ABNORMAL``). A failed request may still turn succeeded (WeChat Pay
    lets a merchant retry an abnormal refund): the money went back, so the row says so.
    A refund number that is not one of ``donation``'s requests (a refund made in the
    provider's console) is left alone; the ledger still follows the refund itself.
    """
    request = (
        RefundRequest.objects.select_for_update()
        .filter(out_refund_no=out_refund_no, donation=donation)
        .first()
    )
    if request is None:
        return "no refund request"
    if request.status == RefundRequestStatus.SUCCEEDED or (
        not succeeded and request.status == RefundRequestStatus.FAILED
    ):
        return f"request {out_refund_no} already {request.status}"
    _settle(request, succeeded=succeeded, provider_status=provider_status, reason=reason)
    return f"request {out_refund_no} {request.status}"


def _settle(request: RefundRequest, *, succeeded: bool, provider_status: str, reason: str):
    request.status = RefundRequestStatus.SUCCEEDED if succeeded else RefundRequestStatus.FAILED
    request.provider_status = (provider_status or ("SUCCESS" if succeeded else ""))[:40]
    if reason or not succeeded:
        request.provider_reason = reason[:300]
    request.settled_at = timezone.now()
    request.save(
        update_fields=["status", "provider_status", "provider_reason", "settled_at", "updated_at"]
    )
    log(
        instance=request.donation,
        action="funding.refund_succeeded" if succeeded else "funding.refund_failed",
        data={"refund": request.out_refund_no, "amount": request.amount, "status": provider_status},
    )
