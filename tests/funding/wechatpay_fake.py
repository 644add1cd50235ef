"""A local fake of WeChat Pay API v3 that speaks its signed protocol.

Real RSA-2048 keys are generated per test run: the merchant's (our requests are signed
with it, and the fake verifies the ``Authorization`` header against its public key) and
the platform's (the fake signs its answers and notifications with it; the portal checks
them against the platform public key in its settings). Notification resources are
encrypted with AEAD_AES_256_GCM under the APIv3 key, as WeChat Pay does.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MCHID = "1900000109"
APPID = "wxd678efh567hg6787"
API_V3_KEY = "0123456789abcdefghijABCDEFGHIJ01"  # 32 bytes
MERCHANT_SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
PUBLIC_KEY_ID = "PUB_KEY_ID_0119000001092024112200000000000001"
PAYER_OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"  # a WeChat user of APPID


@cache
def keys() -> dict:
    """(merchant, platform) private keys, made once per test process."""
    return {
        "merchant": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "platform": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "stranger": rsa.generate_private_key(public_exponent=65537, key_size=2048),
    }


def private_pem(key) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def public_pem(key) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def rsa_sign(key, message: str) -> str:
    signature = key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode()


def rsa_verify(key, message: str, signature: str) -> bool:
    try:
        key.public_key().verify(
            base64.b64decode(signature), message.encode(), padding.PKCS1v15(), hashes.SHA256()
        )
    except Exception:  # noqa: BLE001
        return False
    return True


def signed_headers(body: str, *, key=None, timestamp: int | None = None, serial=PUBLIC_KEY_ID):
    """The ``Wechatpay-*`` headers of an answer or a notification with ``body``."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    nonce = secrets.token_hex(16)
    signature = rsa_sign(key or keys()["platform"], f"{ts}\n{nonce}\n{body}\n")
    return {
        "Wechatpay-Timestamp": ts,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Signature": signature,
        "Wechatpay-Serial": serial,
        "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
    }


def encrypt(resource: dict, *, key: str = API_V3_KEY, associated_data: str = "transaction"):
    nonce = secrets.token_hex(6)  # 12 characters, as WeChat Pay sends
    ciphertext = AESGCM(key.encode()).encrypt(
        nonce.encode(), json.dumps(resource).encode(), associated_data.encode()
    )
    return {
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": base64.b64encode(ciphertext).decode(),
        "associated_data": associated_data,
        "original_type": associated_data,
        "nonce": nonce,
    }


def notification_body(
    event_type: str, resource: dict, *, event_id: str | None = None, key: str = API_V3_KEY
) -> str:
    return json.dumps(
        {
            "id": event_id or f"EV-{secrets.token_hex(8)}",
            "create_time": "2026-12-07T20:00:00+08:00",
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": "支付成功" if event_type.startswith("TRANSACTION") else "退款成功",
            "resource": encrypt(
                resource,
                key=key,
                associated_data="refund" if event_type.startswith("REFUND") else "transaction",
            ),
        }
    )


def wsgi_headers(headers: dict) -> dict:
    """Headers as keyword arguments of Django's test client."""
    return {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}


AUTH_RE = re.compile(
    r'^WECHATPAY2-SHA256-RSA2048 mchid="(?P<mchid>[^"]+)",nonce_str="(?P<nonce>[^"]+)",'
    r'signature="(?P<signature>[^"]+)",timestamp="(?P<ts>\d+)",serial_no="(?P<serial>[^"]+)"$'
)


class FakeWeChatPay:
    """Orders live in ``self.orders`` by ``out_trade_no``; ``pay`` settles one."""

    def __init__(self):
        self.requests: list[dict] = []
        self.orders: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.fail = False
        self.sign_with = None  # a key other than the platform's: a forged answer
        self.refund_status = "PROCESSING"
        self.refund_refusal: tuple[str, str] | None = None  # (code, message): a 403 answer
        self.openids = {PAYER_OPENID}  # the openids WeChat Pay knows under APPID
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _authorized(self, method: str, body: str) -> bool:
                m = AUTH_RE.match(self.headers.get("Authorization", ""))
                if not m or m["mchid"] != MCHID or m["serial"] != MERCHANT_SERIAL:
                    return False
                message = f"{method}\n{self.path}\n{m['ts']}\n{m['nonce']}\n{body}\n"
                return rsa_verify(keys()["merchant"], message, m["signature"])

            def _handle(self, method: str):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                data = json.loads(body) if body else {}
                fake.requests.append({"method": method, "path": self.path, "body": data})
                if fake.fail:
                    return self._send(500, {"code": "SYSTEM_ERROR", "message": "系统错误"})
                if not self._authorized(method, body):
                    return self._send(401, {"code": "SIGN_ERROR", "message": "签名错误"})
                path = urlparse(self.path).path
                return self._send(*fake.route(method, path, data))

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

            def _send(self, code, payload):
                data = json.dumps(payload) if payload is not None else ""
                self.send_response(code)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                for name, value in signed_headers(data, key=fake.sign_with).items():
                    self.send_header(name, value)
                raw = data.encode()
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    # --- the API ---------------------------------------------------------------------

    def route(self, method: str, path: str, data: dict):
        if method == "POST" and path in (
            "/v3/pay/transactions/native",
            "/v3/pay/transactions/h5",
            "/v3/pay/transactions/jsapi",
        ):
            return self._place(path.rsplit("/", 1)[1], data)
        m = re.fullmatch(r"/v3/pay/transactions/out-trade-no/([^/]+)", path)
        if method == "GET" and m:
            order = self.orders.get(m[1])
            if order is None:
                return 404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"}
            return 200, self.resource(m[1])
        m = re.fullmatch(r"/v3/pay/transactions/out-trade-no/([^/]+)/close", path)
        if method == "POST" and m:
            if m[1] in self.orders and self.orders[m[1]]["trade_state"] == "NOTPAY":
                self.orders[m[1]]["trade_state"] = "CLOSED"
            return 204, None
        if method == "POST" and path == "/v3/refund/domestic/refunds":
            if self.refund_refusal:
                code, message = self.refund_refusal
                return 403, {"code": code, "message": message}
            return self._refund(data)
        m = re.fullmatch(r"/v3/refund/domestic/refunds/([^/]+)", path)
        if method == "GET" and m:
            refund = self.refunds.get(m[1])
            if refund is None:
                return 404, {"code": "RESOURCE_NOT_EXISTS", "message": "退款单不存在"}
            return 200, refund
        return 404, {"code": "NOT_FOUND", "message": "not found"}

    def _place(self, kind: str, data: dict):
        for key in ("appid", "mchid", "description", "out_trade_no", "notify_url", "amount"):
            if not data.get(key):
                return 400, {"code": "PARAM_ERROR", "message": f"{key} missing"}
        if kind == "h5" and not data.get("scene_info", {}).get("h5_info"):
            return 400, {"code": "PARAM_ERROR", "message": "scene_info.h5_info missing"}
        if kind == "jsapi" and not (data.get("payer") or {}).get("openid"):
            return 400, {"code": "PARAM_ERROR", "message": "payer.openid missing"}
        if kind == "jsapi" and data["payer"]["openid"] not in self.openids:
            # an openid of another AppID, or nobody's
            return 400, {"code": "PARAM_ERROR", "message": "openid和appid不匹配"}
        no = data["out_trade_no"]
        known = self.orders.get(no)
        if known is not None and known["request"] != data:
            return 400, {"code": "INVALID_REQUEST", "message": "201 商户订单号重复"}
        if known is None:
            self.orders[no] = {
                "request": data,
                "kind": kind,
                "trade_state": "NOTPAY",
                "transaction_id": "",
                "prepay": secrets.token_hex(8),
            }
        prepay = self.orders[no]["prepay"]
        if kind == "native":
            return 200, {"code_url": f"weixin://wxpay/bizpayurl?pr={prepay}"}
        if kind == "jsapi":
            return 200, {"prepay_id": f"wx{prepay}"}
        return 200, {
            "h5_url": f"https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?"
            f"prepay_id=wx{prepay}&package=1"
        }

    def resource(self, out_trade_no: str, **overrides) -> dict:
        """The transaction as WeChat Pay reports it (query answer / notification)."""
        order = self.orders[out_trade_no]
        request = order["request"]
        resource = {
            "appid": request["appid"],
            "mchid": request["mchid"],
            "out_trade_no": out_trade_no,
            "trade_state": order["trade_state"],
            "trade_state_desc": "支付成功" if order["trade_state"] == "SUCCESS" else "未支付",
            "attach": request.get("attach", ""),
            "amount": {"total": request["amount"]["total"], "currency": "CNY"},
        }
        if order["trade_state"] == "SUCCESS":
            resource.update(
                {
                    "transaction_id": order["transaction_id"],
                    "trade_type": order["kind"].upper() if order["kind"] != "h5" else "MWEB",
                    "bank_type": "OTHERS",
                    "success_time": "2026-12-07T20:01:00+08:00",
                    "payer": (order["request"].get("payer") or {"openid": PAYER_OPENID}),
                }
            )
            resource["amount"].update(
                {"payer_total": request["amount"]["total"], "payer_currency": "CNY"}
            )
        resource.update(overrides)
        return resource

    def pay(self, out_trade_no: str, **overrides) -> dict:
        """The donor pays: the order succeeds; returns the notification resource."""
        order = self.orders[out_trade_no]
        order["trade_state"] = "SUCCESS"
        order["transaction_id"] = order["transaction_id"] or f"4200{secrets.randbelow(10**24):024d}"
        return self.resource(out_trade_no, **overrides)

    def jsapi_signature_valid(self, parameters: dict) -> bool:
        """WeChat checks ``paySign`` of getBrandWCPayRequest with the merchant's key."""
        message = "".join(
            f"{parameters[k]}\n" for k in ("appId", "timeStamp", "nonceStr", "package")
        )
        return parameters.get("signType") == "RSA" and rsa_verify(
            keys()["merchant"], message, parameters["paySign"]
        )

    def _refund(self, data: dict):
        no = data.get("out_trade_no")
        if not no:
            no = next(
                (
                    k
                    for k, o in self.orders.items()
                    if o["transaction_id"] == data.get("transaction_id")
                ),
                None,
            )
        order = self.orders.get(no or "")
        if order is None or order["trade_state"] != "SUCCESS":
            return 404, {"code": "RESOURCE_NOT_EXISTS", "message": "订单不存在"}
        out_refund_no = data["out_refund_no"]
        refund = self.refunds.get(out_refund_no)
        if refund is None:
            refund = self.refunds[out_refund_no] = {
                "refund_id": f"5030{secrets.randbelow(10**24):024d}",
                "out_refund_no": out_refund_no,
                "transaction_id": order["transaction_id"],
                "out_trade_no": no,
                "channel": "ORIGINAL",
                "status": self.refund_status,
                "amount": {
                    "total": data["amount"]["total"],
                    "refund": data["amount"]["refund"],
                    "payer_total": data["amount"]["total"],
                    "payer_refund": data["amount"]["refund"],
                    "currency": "CNY",
                },
            }
        return 200, refund

    def refund_requests(self) -> list[dict]:
        """The refund requests the portal sent (POST), in order."""
        return [
            r["body"]
            for r in self.requests
            if r["method"] == "POST" and r["path"] == "/v3/refund/domestic/refunds"
        ]

    def refund_resource(self, out_refund_no: str, status: str = "SUCCESS") -> dict:
        """The REFUND.<status> notification's resource for a refund made through the API."""
        refund = self.refunds[out_refund_no]
        return {
            "mchid": MCHID,
            "out_trade_no": refund["out_trade_no"],
            "transaction_id": refund["transaction_id"],
            "out_refund_no": out_refund_no,
            "refund_id": refund["refund_id"],
            "refund_status": status,
            "success_time": "2026-12-07T20:10:00+08:00",
            "user_received_account": "支付用户零钱",
            "amount": {
                "total": refund["amount"]["total"],
                "refund": refund["amount"]["refund"],
                "payer_total": refund["amount"]["total"],
                "payer_refund": refund["amount"]["refund"],
            },
        }
