"""Everything that talks to WeChat Pay (API v3, direct merchant). No other module imports
``wechatpayv3``.

- **Native** (a computer, or inside WeChat without an openid): the order's ``code_url``
  is shown as a QR code on our own page, which polls the gift's status.
- **H5** (a phone's browser): the donor is sent to the order's ``h5_url``; WeChat Pay
  sends them back to the gift's status page.
- **JSAPI** (inside WeChat, for a donor signed in with WeChat whose openid belongs to
  ``WECHATPAY_APPID``): the order names ``payer.openid``; our page hands the signed
  ``getBrandWCPayRequest`` parameters (:func:`jsapi_parameters`) to WeixinJSBridge.
- **Notifications** (``POST /funding/wechatpay/notify/``): the ``Wechatpay-Signature``
  (RSA-SHA256 over ``timestamp\\nnonce\\nbody\\n``) is checked against the platform public
  key (or a platform certificate), the ``Wechatpay-Timestamp`` must be within five
  minutes, and the resource is decrypted with the APIv3 key (AEAD_AES_256_GCM). Only
  then is it stored in the inbox.
- **Order query** and **refunds**: signed API calls whose answers are verified by the SDK.

Amounts are fen (WeChat Pay's ``amount.total`` is fen too); WeChat Pay takes CNY only.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime
from urllib.parse import quote

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.urls import reverse

from ..errors import PaymentProviderError, ProviderRefused
from . import CheckoutResult
from .base import (
    CHINA_TZ,
    InvalidNotification,
    Notification,
    PaymentEvent,
    ProviderAdapter,
    RefundAnswer,
    notify_url,
    order_number,
    order_stream,
    read_secret,
)
from .wechatpay_events import normalise

logger = logging.getLogger(__name__)

NAME = "wechatpay"
TIMESTAMP_TOLERANCE = 300  # seconds, as WeChat Pay recommends
NATIVE, H5, JSAPI = "native", "h5", "jsapi"
PREPAY_PREFIX = "prepay_id="


def private_key() -> str:
    return read_secret(settings.WECHATPAY_PRIVATE_KEY, settings.WECHATPAY_PRIVATE_KEY_PATH)


def platform_public_key() -> str:
    return read_secret(settings.WECHATPAY_PUBLIC_KEY, settings.WECHATPAY_PUBLIC_KEY_PATH)


def uses_public_key() -> bool:
    return bool(settings.WECHATPAY_PUBLIC_KEY_ID and platform_public_key())


def is_configured() -> bool:
    """All merchant settings present (see docs/configuration.md)."""
    return bool(
        settings.WECHATPAY_MCHID
        and settings.WECHATPAY_APPID
        and len(settings.WECHATPAY_API_V3_KEY) == 32
        and settings.WECHATPAY_CERT_SERIAL_NO
        and (settings.WECHATPAY_PRIVATE_KEY or settings.WECHATPAY_PRIVATE_KEY_PATH)
        and (uses_public_key() or settings.WECHATPAY_CERT_DIR)
    )


def h5_enabled() -> bool:
    return bool(getattr(settings, "WECHATPAY_H5", True))


_clients: dict[tuple, object] = {}


def _client():
    """The SDK client for the current settings (one per process and configuration).

    Raises ``PaymentProviderError`` when it cannot be built (bad key, no platform
    certificate could be downloaded)."""
    from wechatpayv3 import WeChatPay, WeChatPayType

    key = (
        settings.WECHATPAY_MCHID,
        settings.WECHATPAY_APPID,
        settings.WECHATPAY_API_V3_KEY,
        settings.WECHATPAY_CERT_SERIAL_NO,
        private_key(),
        platform_public_key(),
        settings.WECHATPAY_PUBLIC_KEY_ID,
        settings.WECHATPAY_CERT_DIR,
        settings.WECHATPAY_API_BASE,
        settings.SITE_URL,
    )
    client = _clients.get(key)
    if client is not None:
        return client
    public = uses_public_key()
    try:
        client = WeChatPay(
            wechatpay_type=WeChatPayType.NATIVE,
            mchid=settings.WECHATPAY_MCHID,
            private_key=private_key(),
            cert_serial_no=settings.WECHATPAY_CERT_SERIAL_NO,
            appid=settings.WECHATPAY_APPID,
            apiv3_key=settings.WECHATPAY_API_V3_KEY,
            notify_url=notify_url(NAME),
            cert_dir=settings.WECHATPAY_CERT_DIR or None,
            timeout=(5, 15),
            public_key=platform_public_key() if public else None,
            public_key_id=settings.WECHATPAY_PUBLIC_KEY_ID if public else None,
        )
    except Exception as exc:  # noqa: BLE001 - the SDK raises bare Exception
        logger.warning("wechatpay client could not be built: %s", type(exc).__name__)
        raise PaymentProviderError("WeChat Pay is not usable") from exc
    if settings.WECHATPAY_API_BASE:
        # The SDK has no option for its gateway; tests point it at a local fake.
        client._core._gate_way = settings.WECHATPAY_API_BASE.rstrip("/")
    _clients.clear()
    _clients[key] = client
    return client


def _call(method: str, **kwargs) -> dict:
    """Call an SDK method; return the verified JSON answer of a 2xx response.

    Raises ``PaymentProviderError`` for a network error, a non-2xx answer or an answer
    whose signature does not verify (the SDK checks it)."""
    client = _client()
    try:
        code, text = getattr(client, method)(**kwargs)
    except Exception as exc:  # noqa: BLE001 - requests and SDK errors alike
        logger.warning("wechatpay %s failed: %s", method, type(exc).__name__)
        raise PaymentProviderError(f"WeChat Pay {method} failed") from exc
    if not 200 <= code < 300:
        logger.warning("wechatpay %s answered %s: %s", method, code, str(text)[:200])
        if 400 <= code < 500:
            # WeChat Pay answers 4xx when it did nothing (bad request, not enough
            # balance, unknown order or refund); 5xx and no answer leave it open.
            error = _json_object(text)
            raise ProviderRefused(
                f"WeChat Pay {method} answered {code}",
                provider_code=str(error.get("code") or code),
                provider_message=str(error.get("message") or ""),
            )
        raise PaymentProviderError(f"WeChat Pay {method} answered {code}")
    try:
        data = json.loads(text) if text else {}
    except (TypeError, ValueError) as exc:
        raise PaymentProviderError(f"WeChat Pay {method}: answer is not JSON") from exc
    if not isinstance(data, dict):
        raise PaymentProviderError(f"WeChat Pay {method}: answer is not an object")
    return data


def _json_object(text) -> dict:
    try:
        data = json.loads(text) if text else {}
    except (TypeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def create_checkout_session(
    *,
    donation,
    product_name: str,
    success_url: str,
    cancel_url: str,
    expires_at: datetime,
    locale: str,
    channel: str = NATIVE,
    client_ip: str | None = None,
    payer_openid: str = "",
) -> CheckoutResult:
    """Place a Native (QR), H5 or JSAPI (``payer_openid``) order for ``donation``; raises
    ``PaymentProviderError``."""
    if donation.currency != "CNY":
        raise PaymentProviderError("WeChat Pay takes CNY only")
    from wechatpayv3 import WeChatPayType

    out_trade_no = order_number(donation, expires_at)
    params = {
        "description": (product_name or "donation")[:120],
        "out_trade_no": out_trade_no,
        "amount": {"total": donation.amount, "currency": "CNY"},
        "time_expire": expires_at.astimezone(CHINA_TZ).isoformat(timespec="seconds"),
        "attach": str(donation.pk),
        "notify_url": notify_url(NAME),
    }
    if channel == JSAPI and payer_openid:
        params["pay_type"] = WeChatPayType.JSAPI
        params["payer"] = {"openid": payer_openid}
        prepay_id = _call("pay", **params).get("prepay_id")
        if not isinstance(prepay_id, str) or not 0 < len(prepay_id) <= 64:
            raise PaymentProviderError("WeChat Pay JSAPI order without prepay_id")
        url = reverse("funding_public:wechat_pay", kwargs={"token": donation.access_token})
        return CheckoutResult(session_id=out_trade_no, url=url, code=PREPAY_PREFIX + prepay_id)
    if channel == H5:
        params["pay_type"] = WeChatPayType.H5
        params["scene_info"] = {
            "payer_client_ip": client_ip or "127.0.0.1",
            "h5_info": {"type": "Wap"},
        }
        data = _call("pay", **params)
        h5_url = data.get("h5_url")
        if not isinstance(h5_url, str) or not h5_url.startswith("https://"):
            raise PaymentProviderError("WeChat Pay H5 order without h5_url")
        url = f"{h5_url}&redirect_url={quote(success_url, safe='')}"
        return CheckoutResult(session_id=out_trade_no, url=url)
    params["pay_type"] = WeChatPayType.NATIVE
    data = _call("pay", **params)
    code_url = data.get("code_url")
    if not isinstance(code_url, str) or not code_url.startswith("weixin://"):
        raise PaymentProviderError("WeChat Pay Native order without code_url")
    url = reverse("funding_public:scan", kwargs={"token": donation.access_token})
    return CheckoutResult(session_id=out_trade_no, url=url, code=code_url[:500])


def jsapi_parameters(package: str) -> dict:
    """The parameters of ``WeixinJSBridge.invoke("getBrandWCPayRequest", …)`` for a JSAPI
    order's ``package`` (``prepay_id=…``): a fresh timestamp and nonce, signed (RSA,
    SHA256 over ``appId\ntimeStamp\nnonceStr\npackage\n``) with the merchant key by the
    SDK's own ``sign``. Raises ``PaymentProviderError``."""
    import secrets

    if not package.startswith(PREPAY_PREFIX):
        raise PaymentProviderError("not a JSAPI order")
    client = _client()
    params = {
        "appId": settings.WECHATPAY_APPID,
        "timeStamp": str(int(time.time())),
        "nonceStr": secrets.token_hex(16),
        "package": package,
    }
    try:
        signature = client.sign(list(params.values()))
    except Exception as exc:  # noqa: BLE001 - the SDK raises bare Exception
        raise PaymentProviderError("WeChat Pay JSAPI parameters could not be signed") from exc
    return {**params, "signType": "RSA", "paySign": signature}


# --- order query (late notifications) ------------------------------------------------


def query_notifications(out_trade_no: str, *, expired: bool) -> list[Notification]:
    """Ask WeChat Pay about one order and turn a final answer into notifications for
    the inbox (the same payload shape as a real notification, so one ``normalise``):
    ``SUCCESS`` → a payment; ``CLOSED``/``REVOKED``/``PAYERROR`` → failed/closed, and
    ``NOTPAY`` too once the checkout has ``expired`` (nobody can pay it any more).
    Raises ``PaymentProviderError``."""
    data = _call("query", out_trade_no=out_trade_no)
    state = data.get("trade_state")
    if state == "SUCCESS" and isinstance(data.get("transaction_id"), str):
        event_type, event_id = "TRANSACTION.SUCCESS", f"query:{data['transaction_id']}"
    elif state == "PAYERROR":
        event_type, event_id = "TRANSACTION.PAYERROR", f"query-failed:{out_trade_no}"
    elif state in ("CLOSED", "REVOKED") or (state == "NOTPAY" and expired):
        event_type, event_id = "TRANSACTION.CLOSED", f"query-closed:{out_trade_no}"
    else:
        return []
    return [
        Notification(
            event_id=event_id[:200],
            event_type=event_type,
            payload={"id": event_id, "event_type": event_type, "source": "query", "resource": data},
            stream=order_stream(NAME, data),
        )
    ]


def close_order(out_trade_no: str) -> None:
    """Close an unpaid order so it can no longer be paid. Raises ``PaymentProviderError``."""
    client = _client()
    try:
        code, _text = client.close(out_trade_no=out_trade_no)
    except Exception as exc:  # noqa: BLE001
        raise PaymentProviderError("WeChat Pay close failed") from exc
    if not 200 <= code < 300:
        raise PaymentProviderError(f"WeChat Pay close answered {code}")


def refund(*, donation, amount: int, out_refund_no: str, reason: str = "") -> RefundAnswer:
    """Ask WeChat Pay to refund ``amount`` fen of ``donation``'s payment (idempotent per
    ``out_refund_no``). A final answer (``SUCCESS``, ``ABNORMAL``, ``CLOSED``) comes back
    as a notification for the inbox; ``PROCESSING``: WeChat Pay notifies when it is
    done. Raises ``ProviderRefused`` when WeChat Pay refused it (nothing refunded),
    ``PaymentProviderError`` when no answer came (it may or may not be under way)."""
    params = {
        "out_refund_no": out_refund_no,
        "amount": {"refund": amount, "total": donation.amount, "currency": "CNY"},
        "notify_url": notify_url(NAME),
    }
    if donation.payment_intent:
        params["transaction_id"] = donation.payment_intent
    else:
        params["out_trade_no"] = donation.external_id
    if reason:
        params["reason"] = reason[:80]
    return _refund_answer(_call("refund", **params), source="refund")


REFUND_EVENTS = {
    "SUCCESS": "REFUND.SUCCESS",
    "ABNORMAL": "REFUND.ABNORMAL",
    "CLOSED": "REFUND.CLOSED",
}


def _refund_answer(data: dict, *, source: str) -> RefundAnswer:
    """A refund as the API reports it (the refund's answer or the refund query): a
    final status becomes a notification shaped like WeChat Pay's own."""
    status = str(data.get("status") or "")
    event_type = REFUND_EVENTS.get(status)
    if event_type is None or not isinstance(data.get("refund_id"), str):
        return RefundAnswer(status=status[:40], notifications=[])
    prefix = "refund" if status == "SUCCESS" else f"refund-{status.lower()}"
    event_id = f"{prefix}:{data['refund_id']}"
    resource = {**data, "refund_status": status}
    return RefundAnswer(
        status=status,
        notifications=[
            Notification(
                event_id=event_id[:200],
                event_type=event_type,
                payload={
                    "id": event_id,
                    "event_type": event_type,
                    "source": source,
                    "resource": resource,
                },
                stream=order_stream(NAME, resource),
            )
        ],
    )


def query_refund(*, donation, out_refund_no: str) -> RefundAnswer:
    """Ask WeChat Pay about one refund we asked for (``reconcile --sync-providers``).
    A final answer becomes a notification for the inbox, like the refund's own answer;
    a refund WeChat Pay does not know (the request never reached it) becomes a
    ``REFUND.CLOSED`` with status ``NOT_FOUND``. Raises ``PaymentProviderError``."""
    try:
        data = _call("query_refund", out_refund_no=out_refund_no)
    except ProviderRefused as exc:
        if exc.provider_code not in ("RESOURCE_NOT_EXISTS", "NOT_FOUND"):
            raise
        event_id = f"refund-missing:{out_refund_no}"
        resource = {
            "out_trade_no": donation.external_id,
            "out_refund_no": out_refund_no,
            "refund_status": "NOT_FOUND",
        }
        return RefundAnswer(
            status="NOT_FOUND",
            notifications=[
                Notification(
                    event_id=event_id[:200],
                    event_type="REFUND.CLOSED",
                    payload={
                        "id": event_id,
                        "event_type": "REFUND.CLOSED",
                        "source": "query",
                        "resource": resource,
                    },
                    stream=order_stream(NAME, resource),
                )
            ],
        )
    return _refund_answer(data, source="query")


# --- notifications -------------------------------------------------------------------


def _check_headers(request) -> None:
    timestamp = request.headers.get("Wechatpay-Timestamp", "")
    # isascii(): str.isdigit() is also true for "²" or "①", which int() refuses.
    if (
        not (timestamp.isascii() and timestamp.isdigit())
        or abs(time.time() - int(timestamp)) > TIMESTAMP_TOLERANCE
    ):
        raise InvalidNotification("missing or stale Wechatpay-Timestamp")
    if not request.headers.get("Wechatpay-Signature") or not request.headers.get("Wechatpay-Nonce"):
        raise InvalidNotification("missing signature or nonce")
    serial = request.headers.get("Wechatpay-Serial", "")
    if uses_public_key():
        # Never let an unknown serial make the SDK download certificates.
        if serial != settings.WECHATPAY_PUBLIC_KEY_ID:
            raise InvalidNotification("unknown Wechatpay-Serial")
    elif not serial or any(c not in "0123456789abcdefABCDEF" for c in serial):
        raise InvalidNotification("malformed Wechatpay-Serial")
    if request.headers.get("Wechatpay-Signature-Type", "WECHATPAY2-SHA256-RSA2048") != (
        "WECHATPAY2-SHA256-RSA2048"
    ):
        raise InvalidNotification("unsupported signature type")


def _verified(request) -> dict:
    """Verify the signature, decrypt the resource; return the notification with the
    plain resource, or raise ``InvalidNotification``."""
    _check_headers(request)
    meta = dict(request.META)
    meta.setdefault("HTTP_WECHATPAY_SIGNATURE_TYPE", "WECHATPAY2-SHA256-RSA2048")
    try:
        client = _client()
        data = client.callback(meta, request.body)
    except PaymentProviderError as exc:
        raise InvalidNotification("WeChat Pay is not usable") from exc
    except Exception as exc:  # noqa: BLE001 - bad JSON, bad nonce, bad encoding …
        raise InvalidNotification(f"verification failed: {type(exc).__name__}") from exc
    if not isinstance(data, dict):
        raise InvalidNotification("bad signature or undecryptable resource")
    return data


class WeChatPayAdapter(ProviderAdapter):
    name = NAME
    donation_source = NAME

    def verify(self, request) -> list[Notification]:
        if not is_configured():
            raise InvalidNotification("WeChat Pay is not configured")
        data = _verified(request)
        event_id, event_type = data.get("id"), data.get("event_type")
        resource = data.get("resource")
        if not isinstance(event_id, str) or not event_id or not isinstance(event_type, str):
            raise InvalidNotification("notification without id or event_type")
        if not isinstance(resource, dict):
            raise InvalidNotification("resource is not an object")
        payload = {
            "id": event_id,
            "event_type": event_type,
            "create_time": data.get("create_time"),
            "summary": data.get("summary"),
            "resource": resource,
        }
        return [
            Notification(
                event_id=event_id[:200],
                event_type=event_type[:100],
                payload=payload,
                stream=order_stream(NAME, resource),
            )
        ]

    def normalise(self, event_type: str, payload: dict) -> list[PaymentEvent]:
        return normalise(event_type, payload)

    def accepted(self, *, duplicate: bool) -> HttpResponse:
        return HttpResponse(status=204)

    def rejected(self, exc: InvalidNotification) -> HttpResponse:
        return JsonResponse({"code": "FAIL", "message": "invalid notification"}, status=400)

    def unavailable(self) -> HttpResponse:
        return JsonResponse({"code": "FAIL", "message": "try again later"}, status=500)
