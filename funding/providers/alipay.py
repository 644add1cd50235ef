"""Everything that talks to Alipay (open platform, RSA2). No other module imports
``alipay`` (python-alipay-sdk).

- **Page pay** (``alipay.trade.page.pay``, a computer) and **WAP pay**
  (``alipay.trade.wap.pay``, a phone): the donor is sent to Alipay's gateway with a
  signed request; Alipay sends them back to the gift's status page.
- **Asynchronous notifications** (``POST /funding/alipay/notify/``, form-encoded): the
  RSA2 signature over the sorted parameters (without ``sign``/``sign_type``) is checked
  against Alipay's public key and ``app_id`` must be ours; answered with the plain text
  ``success`` (stored) or ``fail`` (refused), as Alipay expects.
- **Trade query** and **refunds**: signed requests whose signed answers are verified by
  the SDK.

Alipay amounts are yuan strings with two decimals (``"100.00"``); they are converted to
fen exactly (never through float).
"""

from __future__ import annotations

import base64
import logging
from datetime import datetime

from django.conf import settings
from django.http import HttpResponse

from portal.core import money

from ..errors import PaymentProviderError, ProviderRefused
from . import CheckoutResult
from .base import (
    CHINA_TZ,
    InvalidNotification,
    MalformedNotification,
    Notification,
    PaymentEvent,
    PaymentEventKind,
    ProviderAdapter,
    RefundAnswer,
    notify_url,
    optional_id,
    optional_str,
    order_number,
    order_stream,
    read_secret,
)

logger = logging.getLogger(__name__)

NAME = "alipay"
PAGE, WAP = "page", "wap"
GATEWAY = "https://openapi.alipay.com/gateway.do"
SANDBOX_GATEWAY = "https://openapi-sandbox.dl.alipaydev.com/gateway.do"


def yuan_to_fen(value) -> int | None:
    """``"100.5"`` → 10050; None for anything that is not a yuan amount (a verified
    notification's ``total_amount`` / ``refund_fee``)."""
    if not isinstance(value, str):
        return None
    try:
        return money.yuan_to_fen(value)
    except ValueError:
        return None


def fen_to_yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _pem(text: str, *, private: bool) -> str:
    """Alipay's key tool gives bare base64; the SDK wants PEM. Returns PEM text."""
    text = text.strip()
    if not text or "-----BEGIN" in text:
        return text
    from cryptography.hazmat.primitives import serialization

    der = base64.b64decode("".join(text.split()))
    if private:
        key = serialization.load_der_private_key(der, password=None)
        return key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
    key = serialization.load_der_public_key(der)
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def is_configured() -> bool:
    return bool(
        settings.ALIPAY_APPID
        and (settings.ALIPAY_APP_PRIVATE_KEY or settings.ALIPAY_APP_PRIVATE_KEY_PATH)
        and (settings.ALIPAY_PUBLIC_KEY or settings.ALIPAY_PUBLIC_KEY_PATH)
    )


def gateway() -> str:
    if settings.ALIPAY_API_BASE:
        return settings.ALIPAY_API_BASE.rstrip("/") + "/gateway.do"
    return SANDBOX_GATEWAY if settings.ALIPAY_SANDBOX else GATEWAY


_clients: dict[tuple, object] = {}


def _client():
    """The SDK client for the current settings; raises ``PaymentProviderError``."""
    from alipay import AliPay
    from alipay.utils import AliPayConfig

    private = read_secret(settings.ALIPAY_APP_PRIVATE_KEY, settings.ALIPAY_APP_PRIVATE_KEY_PATH)
    public = read_secret(settings.ALIPAY_PUBLIC_KEY, settings.ALIPAY_PUBLIC_KEY_PATH)
    key = (settings.ALIPAY_APPID, private, public, gateway(), settings.SITE_URL)
    client = _clients.get(key)
    if client is not None:
        return client
    try:
        client = AliPay(
            appid=settings.ALIPAY_APPID,
            app_notify_url=notify_url(NAME),
            app_private_key_string=_pem(private, private=True),
            alipay_public_key_string=_pem(public, private=False),
            sign_type="RSA2",
            config=AliPayConfig(timeout=15),
        )
    except Exception as exc:  # noqa: BLE001 - bad key material
        logger.warning("alipay client could not be built: %s", type(exc).__name__)
        raise PaymentProviderError("Alipay is not usable") from exc
    client._gateway = gateway()  # the SDK only knows production and sandbox
    _clients.clear()
    _clients[key] = client
    return client


def _server_call(method: str, **kwargs) -> dict:
    """A signed server API call; returns the verified response object.

    Raises ``PaymentProviderError`` for a network error, an unsigned or forged answer."""
    client = _client()
    try:
        return getattr(client, method)(**kwargs)
    except Exception as exc:  # noqa: BLE001 - urllib, AliPayException, validation error
        logger.warning("alipay %s failed: %s", method, type(exc).__name__)
        raise PaymentProviderError(f"Alipay {method} failed") from exc


def create_checkout_session(
    *,
    donation,
    product_name: str,
    success_url: str,
    cancel_url: str,
    expires_at: datetime,
    locale: str,
    channel: str = PAGE,
    client_ip: str | None = None,
) -> CheckoutResult:
    """A signed page-pay (computer) or WAP-pay (phone) URL; no network call is made."""
    if donation.currency != "CNY":
        raise PaymentProviderError("Alipay takes CNY only")
    client = _client()
    out_trade_no = order_number(donation, expires_at)
    common = {
        "subject": (product_name or "donation")[:200],
        "out_trade_no": out_trade_no,
        "total_amount": fen_to_yuan(donation.amount),
        "return_url": success_url,
        "notify_url": notify_url(NAME),
        "time_expire": expires_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S"),
        "passback_params": str(donation.pk),
    }
    try:
        if channel == WAP:
            query = client.api_alipay_trade_wap_pay(quit_url=cancel_url, **common)
        else:
            query = client.api_alipay_trade_page_pay(**common)
    except Exception as exc:  # noqa: BLE001
        raise PaymentProviderError("Alipay order could not be signed") from exc
    return CheckoutResult(session_id=out_trade_no, url=f"{gateway()}?{query}")


def _trade_notification(data: dict, *, event_id: str, total: str = "") -> Notification:
    payload = {
        "notify_type": "trade_status_sync",
        "source": "api",
        "out_trade_no": data.get("out_trade_no", ""),
        "trade_no": data.get("trade_no", ""),
        "trade_status": data.get("trade_status", ""),
        "total_amount": data.get("total_amount") or total,
    }
    if data.get("refund_fee") is not None:
        payload["refund_fee"] = data["refund_fee"]
    if data.get("out_biz_no"):
        payload["out_biz_no"] = data["out_biz_no"]
    return Notification(
        event_id=event_id[:200],
        event_type="trade_status_sync",
        payload=payload,
        stream=order_stream(NAME, payload),
    )


def query_notifications(out_trade_no: str, *, expired: bool) -> list[Notification]:
    """Ask Alipay about one trade (``alipay.trade.query``); a final answer becomes a
    notification for the inbox. A trade Alipay does not know (the donor never logged
    in) or one still waiting is closed once the checkout has ``expired``."""
    data = _server_call("api_alipay_trade_query", out_trade_no=out_trade_no)
    status = data.get("trade_status")
    if data.get("code") == "10000" and status in ("TRADE_SUCCESS", "TRADE_FINISHED"):
        if not isinstance(data.get("trade_no"), str):
            return []
        return [_trade_notification(data, event_id=f"query:{data['trade_no']}")]
    if data.get("code") == "10000" and status == "TRADE_CLOSED":
        return [_trade_notification(data, event_id=f"query-closed:{out_trade_no}")]
    not_exist = data.get("sub_code") == "ACQ.TRADE_NOT_EXIST"
    if expired and (not_exist or status == "WAIT_BUYER_PAY"):
        closed = {"out_trade_no": out_trade_no, "trade_status": "TRADE_CLOSED"}
        return [_trade_notification(closed, event_id=f"query-closed:{out_trade_no}")]
    return []


# Alipay's sub_codes that say "try again with the same out_request_no": the refund may
# or may not have been made. Any other business failure means nothing was refunded.
RETRY_SUB_CODES = ("ACQ.SYSTEM_ERROR", "ACQ.REASON_TRADE_REFUND_FEE_ERR_RETRY")


def refund(*, donation, amount: int, out_refund_no: str, reason: str = "") -> RefundAnswer:
    """``alipay.trade.refund`` (synchronous at Alipay; idempotent per ``out_request_no``).
    Its answer carries the cumulative ``refund_fee`` and becomes a notification for the
    inbox (with ``out_biz_no`` = our refund number, as Alipay's own notification has).
    Raises ``ProviderRefused`` when Alipay refused it (nothing refunded),
    ``PaymentProviderError`` when the outcome is unknown."""
    params = {
        "refund_amount": fen_to_yuan(amount),
        "out_request_no": out_refund_no,
        "out_trade_no": donation.external_id,
    }
    if reason:
        params["refund_reason"] = reason[:100]
    data = _server_call("api_alipay_trade_refund", **params)
    if data.get("code") != "10000":
        sub_code = str(data.get("sub_code") or data.get("code") or "")
        logger.warning("alipay refund refused: %s", sub_code)
        if data.get("code") == "40004" and sub_code not in RETRY_SUB_CODES:
            raise ProviderRefused(
                f"Alipay refund refused: {sub_code}",
                provider_code=sub_code,
                provider_message=str(data.get("sub_msg") or ""),
            )
        raise PaymentProviderError(f"Alipay refund refused: {sub_code}")
    if data.get("fund_change") != "Y" and yuan_to_fen(data.get("refund_fee")) is None:
        return RefundAnswer(status="PROCESSING", notifications=[])
    data = {**data, "trade_status": "TRADE_SUCCESS", "out_biz_no": out_refund_no}
    return RefundAnswer(
        status="SUCCESS",
        notifications=[
            _trade_notification(
                data,
                event_id=f"refund:{donation.external_id}:{data.get('refund_fee')}",
                total=fen_to_yuan(donation.amount),
            )
        ],
    )


def query_refund(*, donation, out_refund_no: str, amount: int) -> RefundAnswer:
    """Ask Alipay about one refund we asked for (``alipay.trade.fastpay.refund.query``).

    Made: the refund is asked again with the same ``out_request_no`` (Alipay's own advice
    when an answer was lost; idempotent there, nothing is refunded twice) for its answer
    with the cumulative ``refund_fee``, which goes through the inbox like any refund
    answer. Unknown to Alipay (the request never reached it): a failed refund. Raises
    ``PaymentProviderError``."""
    data = _server_call(
        "api_alipay_trade_fastpay_refund_query",
        out_request_no=out_refund_no,
        out_trade_no=donation.external_id,
    )
    if data.get("code") != "10000":
        raise PaymentProviderError(f"Alipay refund query failed: {data.get('sub_code')}")
    made = data.get("refund_status") == "REFUND_SUCCESS" or (
        not data.get("refund_status") and yuan_to_fen(data.get("refund_amount")) is not None
    )
    if made:
        return refund(donation=donation, amount=amount, out_refund_no=out_refund_no)
    if data.get("refund_status"):
        return RefundAnswer(status=str(data["refund_status"])[:40], notifications=[])
    payload = {
        "notify_type": REFUND_FAILED_TYPE,
        "source": "query",
        "out_trade_no": donation.external_id,
        "out_biz_no": out_refund_no,
        "reason": "NOT_FOUND",
    }
    return RefundAnswer(
        status="NOT_FOUND",
        notifications=[
            Notification(
                event_id=f"refund-missing:{out_refund_no}"[:200],
                event_type=REFUND_FAILED_TYPE,
                payload=payload,
                stream=order_stream(NAME, payload),
            )
        ],
    )


# Our own event type (Alipay has none): a refund we asked for that Alipay never made.
REFUND_FAILED_TYPE = "refund_not_made"


class AlipayAdapter(ProviderAdapter):
    name = NAME
    donation_source = NAME

    def verify(self, request) -> list[Notification]:
        if not is_configured():
            raise InvalidNotification("Alipay is not configured")
        if request.content_type != "application/x-www-form-urlencoded":
            raise InvalidNotification("not a form-encoded notification")
        try:
            params = {k: request.POST[k] for k in request.POST}
        except Exception as exc:  # noqa: BLE001 - undecodable body
            raise InvalidNotification("unreadable body") from exc
        signature = params.pop("sign", "")
        if not signature or params.get("sign_type") != "RSA2":
            raise InvalidNotification("missing signature or not RSA2")
        try:
            ok = _client().verify(dict(params), signature)
        except PaymentProviderError as exc:
            raise InvalidNotification("Alipay is not usable") from exc
        except Exception as exc:  # noqa: BLE001 - bad base64 …
            raise InvalidNotification(f"verification failed: {type(exc).__name__}") from exc
        if not ok:
            raise InvalidNotification("bad signature")
        if params.get("app_id") != settings.ALIPAY_APPID:
            raise InvalidNotification("notification for another app")
        notify_id = params.get("notify_id", "")
        if not notify_id:
            raise InvalidNotification("notification without notify_id")
        params.pop("sign_type", None)
        return [
            Notification(
                event_id=notify_id[:200],
                event_type=params.get("notify_type", "")[:100],
                payload=params,
                stream=order_stream(NAME, params),
            )
        ]

    def normalise(self, event_type: str, payload: dict) -> list[PaymentEvent]:
        if event_type == REFUND_FAILED_TYPE:
            out_refund_no = optional_str(payload, "out_biz_no")
            if not out_refund_no:
                raise MalformedNotification("refund failure without out_biz_no")
            return [
                PaymentEvent(
                    kind=PaymentEventKind.REFUND_FAILED,
                    checkout_id=optional_str(payload, "out_trade_no"),
                    out_refund_no=out_refund_no,
                    reason=optional_str(payload, "reason"),
                )
            ]
        if event_type != "trade_status_sync":
            return []
        refs = {
            "checkout_id": optional_str(payload, "out_trade_no"),
            "transaction_id": optional_str(payload, "trade_no"),
            "donation_id": optional_id(payload.get("passback_params")),
        }
        if not refs["checkout_id"]:
            raise MalformedNotification("no out_trade_no")
        status = optional_str(payload, "trade_status")
        total = yuan_to_fen(payload.get("total_amount"))
        currency = "CNY"
        refund_fee = payload.get("refund_fee")
        refunded = yuan_to_fen(refund_fee) if refund_fee is not None else None
        if refund_fee is not None and refunded is None:
            raise MalformedNotification("refund_fee is not a yuan amount")
        if refunded:
            return [
                PaymentEvent(
                    kind=PaymentEventKind.REFUNDED,
                    refunded_total=refunded,
                    paid_amount=total,
                    currency=currency,
                    out_refund_no=optional_str(payload, "out_biz_no"),
                    **refs,
                )
            ]
        if status in ("TRADE_SUCCESS", "TRADE_FINISHED"):
            if total is None or not refs["transaction_id"]:
                raise MalformedNotification("payment without trade_no or total_amount")
            return [
                PaymentEvent(kind=PaymentEventKind.PAID, amount=total, currency=currency, **refs)
            ]
        if status == "TRADE_CLOSED":
            return [PaymentEvent(kind=PaymentEventKind.EXPIRED, **refs)]
        return []  # WAIT_BUYER_PAY: nothing happened yet

    def accepted(self, *, duplicate: bool) -> HttpResponse:
        return HttpResponse("success", content_type="text/plain")

    def rejected(self, exc: InvalidNotification) -> HttpResponse:
        return HttpResponse("fail", content_type="text/plain", status=400)

    def unavailable(self) -> HttpResponse:
        return HttpResponse("fail", content_type="text/plain", status=500)
