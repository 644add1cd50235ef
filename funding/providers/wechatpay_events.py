"""WeChat Pay notifications (and query answers shaped like them) as provider-neutral
:class:`~funding.providers.base.PaymentEvent` objects: a pure function of the stored
payload (no I/O), used by :class:`funding.providers.wechatpay.WeChatPayAdapter`."""

from __future__ import annotations

from .base import (
    MalformedNotification,
    PaymentEvent,
    PaymentEventKind,
    optional_fen,
    optional_id,
    optional_str,
    require_dict,
)


def normalise(event_type: str, payload: dict) -> list[PaymentEvent]:
    """The events of one verified notification; ``MalformedNotification`` for a payload
    of the wrong shape, ``[]`` for an event type that moves nothing."""
    resource = require_dict(payload.get("resource"), "resource")
    amount = require_dict(resource.get("amount") or {}, "amount")
    refs = {
        "checkout_id": optional_str(resource, "out_trade_no"),
        "transaction_id": optional_str(resource, "transaction_id"),
        "donation_id": optional_id(resource.get("attach")),
    }
    if not refs["checkout_id"] and not refs["transaction_id"]:
        raise MalformedNotification("no out_trade_no or transaction_id")
    if event_type == "TRANSACTION.PAYERROR":
        return [PaymentEvent(kind=PaymentEventKind.FAILED, **refs)]
    if event_type == "TRANSACTION.CLOSED":
        return [PaymentEvent(kind=PaymentEventKind.EXPIRED, **refs)]
    handler = HANDLERS.get(event_type)
    return handler(event_type, resource, amount, refs) if handler else []


def _paid(event_type: str, resource: dict, amount: dict, refs: dict) -> list[PaymentEvent]:
    if optional_str(resource, "trade_state") != "SUCCESS":
        raise MalformedNotification("TRANSACTION.SUCCESS whose trade_state is not SUCCESS")
    total = optional_fen(amount, "total")
    currency = optional_str(amount, "currency").upper()
    if total is None or not currency or not refs["checkout_id"]:
        raise MalformedNotification("payment without out_trade_no, total or currency")
    return [PaymentEvent(kind=PaymentEventKind.PAID, amount=total, currency=currency, **refs)]


def _refunded(event_type: str, resource: dict, amount: dict, refs: dict) -> list[PaymentEvent]:
    refund_id = optional_str(resource, "refund_id")
    refunded = optional_fen(amount, "refund")
    if not refund_id or not refunded:
        raise MalformedNotification("refund without refund_id or amount")
    return [
        PaymentEvent(
            kind=PaymentEventKind.REFUNDED,
            refund_id=refund_id,
            amount=refunded,
            paid_amount=optional_fen(amount, "total"),
            currency=optional_str(amount, "currency").upper() or "CNY",
            out_refund_no=optional_str(resource, "out_refund_no"),
            **refs,
        )
    ]


def _refund_failed(event_type: str, resource: dict, amount: dict, refs: dict) -> list[PaymentEvent]:
    # No money went back; the refund we asked for (if it was ours) failed.
    out_refund_no = optional_str(resource, "out_refund_no")
    if not out_refund_no:
        return []
    status = optional_str(resource, "refund_status") or event_type.split(".")[1]
    return [
        PaymentEvent(
            kind=PaymentEventKind.REFUND_FAILED, out_refund_no=out_refund_no, reason=status, **refs
        )
    ]


HANDLERS = {
    "TRANSACTION.SUCCESS": _paid,
    "REFUND.SUCCESS": _refunded,
    "REFUND.ABNORMAL": _refund_failed,
    "REFUND.CLOSED": _refund_failed,
}
