"""A local fake of Alipay's open-platform gateway that speaks its signed protocol.

Real RSA-2048 keys per test run: the app's (our requests are signed with it; the fake
verifies them against its public key) and Alipay's (the fake signs its answers and the
tests sign notifications with it; the portal verifies with Alipay's public key).
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlparse

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

APPID = "2021000122671234"


@cache
def keys() -> dict:
    return {
        "app": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "alipay": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "stranger": rsa.generate_private_key(public_exponent=65537, key_size=2048),
    }


def private_pem(key) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def public_bare(key) -> str:
    """The public key as Alipay's console shows it: bare base64, no PEM lines."""
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def rsa2_sign(key, message: str) -> str:
    return base64.b64encode(
        key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
    ).decode()


def rsa2_verify(key, message: str, signature: str) -> bool:
    try:
        key.public_key().verify(
            base64.b64decode(signature), message.encode(), padding.PKCS1v15(), hashes.SHA256()
        )
    except Exception:  # noqa: BLE001
        return False
    return True


def sign_params(params: dict, *, key=None) -> dict:
    """A notification's parameters signed as Alipay does: RSA2 over the sorted
    ``k=v`` pairs without ``sign`` and ``sign_type``."""
    unsigned = {k: v for k, v in params.items() if k not in ("sign", "sign_type")}
    message = "&".join(f"{k}={v}" for k, v in sorted(unsigned.items()))
    return {**params, "sign_type": "RSA2", "sign": rsa2_sign(key or keys()["alipay"], message)}


def form(params: dict) -> str:
    return urlencode(params)


class FakeAlipay:
    def __init__(self):
        self.requests: list[dict] = []
        self.trades: dict[str, dict] = {}
        self.refunds: dict[str, str] = {}  # out_request_no -> refund_fee after it
        self.refund_amounts: dict[str, str] = {}  # out_request_no -> refund_amount
        self.refund_refusal: tuple[str, str] | None = None  # (sub_code, sub_msg)
        self.fail = False
        self.sign_with = None
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                url = urlparse(self.path)
                params = dict(parse_qsl(url.query, keep_blank_values=True))
                fake.requests.append(params)
                if fake.fail:
                    self.send_response(502)
                    self.end_headers()
                    return
                method = params.get("method", "")
                response_key = method.replace(".", "_") + "_response"
                if not fake.verify_request(params):
                    inner = {
                        "code": "40002",
                        "msg": "Invalid Arguments",
                        "sub_code": "isv.invalid-signature",
                    }
                else:
                    inner = fake.route(method, json.loads(params.get("biz_content") or "{}"))
                inner_json = json.dumps(inner, ensure_ascii=False, separators=(",", ":"))
                signature = rsa2_sign(fake.sign_with or keys()["alipay"], inner_json)
                raw = f'{{"{response_key}":{inner_json},"sign":"{signature}"}}'.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html;charset=utf-8")
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

    @staticmethod
    def verify_request(params: dict) -> bool:
        """Our requests: RSA2 over every parameter but ``sign``, checked with the app key."""
        signature = params.get("sign", "")
        unsigned = {k: v for k, v in params.items() if k != "sign"}
        message = "&".join(f"{k}={v}" for k, v in sorted(unsigned.items()))
        return params.get("app_id") == APPID and rsa2_verify(keys()["app"], message, signature)

    def open(self, url: str) -> dict:
        """The donor's browser opens a page/WAP pay URL: check it and create the trade."""
        params = dict(parse_qsl(urlparse(url).query, keep_blank_values=True))
        assert self.verify_request(params), "the pay URL is not signed with the app key"
        biz = json.loads(params["biz_content"])
        trade = self.trades.setdefault(
            biz["out_trade_no"],
            {"biz": biz, "method": params["method"], "status": "WAIT_BUYER_PAY", "trade_no": ""},
        )
        trade["params"] = params
        return trade

    def pay(self, out_trade_no: str) -> dict:
        trade = self.trades[out_trade_no]
        trade["status"] = "TRADE_SUCCESS"
        trade["trade_no"] = trade["trade_no"] or f"2026120722001{secrets.randbelow(10**15):015d}"
        return trade

    def notification(self, out_trade_no: str, *, key=None, **overrides) -> dict:
        """The signed asynchronous notification of a trade, as form parameters."""
        trade = self.trades[out_trade_no]
        params = {
            "notify_time": "2026-12-07 20:01:05",
            "notify_type": "trade_status_sync",
            "notify_id": f"2026120700222200105{secrets.token_hex(8)}",
            "app_id": APPID,
            "charset": "utf-8",
            "version": "1.0",
            "trade_no": trade["trade_no"],
            "out_trade_no": out_trade_no,
            "buyer_id": "2088102177846880",
            "trade_status": trade["status"],
            "total_amount": trade["biz"]["total_amount"],
            "receipt_amount": trade["biz"]["total_amount"],
            "subject": trade["biz"]["subject"],
            "gmt_payment": "2026-12-07 20:01:04",
            "passback_params": trade["biz"].get("passback_params", ""),
        }
        params.update(overrides)
        return sign_params({k: v for k, v in params.items() if v is not None}, key=key)

    def route(self, method: str, biz: dict) -> dict:
        trade = self.trades.get(biz.get("out_trade_no", ""))
        if method == "alipay.trade.query":
            if trade is None:
                return {
                    "code": "40004",
                    "msg": "Business Failed",
                    "sub_code": "ACQ.TRADE_NOT_EXIST",
                    "sub_msg": "交易不存在",
                }
            return {
                "code": "10000",
                "msg": "Success",
                "out_trade_no": biz["out_trade_no"],
                "trade_no": trade["trade_no"],
                "trade_status": trade["status"],
                "total_amount": trade["biz"]["total_amount"],
            }
        if method == "alipay.trade.refund":
            if trade is None or trade["status"] != "TRADE_SUCCESS":
                return {
                    "code": "40004",
                    "msg": "Business Failed",
                    "sub_code": "ACQ.TRADE_STATUS_ERROR",
                }
            if self.refund_refusal:
                return {
                    "code": "40004",
                    "msg": "Business Failed",
                    "sub_code": self.refund_refusal[0],
                    "sub_msg": self.refund_refusal[1],
                }
            no = biz["out_request_no"]
            if no not in self.refunds:
                self.refund_amounts[no] = biz["refund_amount"]
                before = int(round(float(trade.get("refunded", "0")) * 100))
                after = before + int(round(float(biz["refund_amount"]) * 100))
                trade["refunded"] = f"{after // 100}.{after % 100:02d}"
                self.refunds[no] = trade["refunded"]
            return {
                "code": "10000",
                "msg": "Success",
                "out_trade_no": biz["out_trade_no"],
                "trade_no": trade["trade_no"],
                "fund_change": "Y",
                "refund_fee": self.refunds[no],
            }
        if method == "alipay.trade.fastpay.refund.query":
            answer = {
                "code": "10000",
                "msg": "Success",
                "out_trade_no": biz.get("out_trade_no", ""),
                "out_request_no": biz["out_request_no"],
            }
            done = self.refund_amounts.get(biz["out_request_no"])
            if done is not None:
                answer.update({"refund_amount": done, "refund_status": "REFUND_SUCCESS"})
            return answer
        return {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.INVALID_METHOD"}
