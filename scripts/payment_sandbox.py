"""Payment sandbox for `make run`: WeChat Pay and Alipay on this machine, so a donor can
pay by WeChat Pay (Native QR or H5) and Alipay (page or WAP pay) end to end without
merchant accounts.

It runs the same fakes the tests use (tests/funding/wechatpay_fake.py and
alipay_fake.py: real RSA keys generated at start, real signatures, AEAD_AES_256_GCM
notification resources) behind one local address, and adds what a person needs: a
cashier page where "the donor" confirms the payment, after which the sandbox sends the
provider's signed notification to the portal, exactly as WeChat Pay or Alipay would.
Refunds that finance asks for stay "processing" until they are confirmed on the index
page (the provider's REFUND.SUCCESS notification then follows).

    python scripts/payment_sandbox.py            # writes var/sandbox/env, then serves

`scripts/serve.sh` starts it (unless PAYMENT_SANDBOX=0) and reads var/sandbox/env before
starting the site, so the portal's WECHATPAY_* / ALIPAY_* settings point here. Never
run it in production: it is a development tool and holds every private key it makes.
"""

from __future__ import annotations

import html
import os
import sys
import threading
import urllib.error
import urllib.request
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.funding import alipay_fake as ali  # noqa: E402
from tests.funding import wechatpay_fake as wx  # noqa: E402

PORT = int(os.environ.get("SANDBOX_PORT", "8010"))
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
OUT = ROOT / "var" / "sandbox"
PAGE_PAY = ("alipay.trade.page.pay", "alipay.trade.wap.pay")


def settings_for(base: str, out: Path = OUT) -> dict[str, str]:
    """Write the keys into ``out`` and return the portal's settings for this sandbox."""
    out.mkdir(parents=True, exist_ok=True)
    wk, ak = wx.keys(), ali.keys()
    files = {
        "wechatpay_merchant_key.pem": wx.private_pem(wk["merchant"]),
        "wechatpay_platform_public_key.pem": wx.public_pem(wk["platform"]),
        "alipay_app_private_key.pem": ali.private_pem(ak["app"]),
        "alipay_public_key.txt": ali.public_bare(ak["alipay"]),
    }
    for name, text in files.items():
        path = out / name
        path.write_text(text)
        path.chmod(0o600)
    values = {
        "WECHATPAY_MCHID": wx.MCHID,
        "WECHATPAY_APPID": wx.APPID,
        "WECHATPAY_API_V3_KEY": wx.API_V3_KEY,
        "WECHATPAY_CERT_SERIAL_NO": wx.MERCHANT_SERIAL,
        "WECHATPAY_PRIVATE_KEY_PATH": str(out / "wechatpay_merchant_key.pem"),
        "WECHATPAY_PUBLIC_KEY_PATH": str(out / "wechatpay_platform_public_key.pem"),
        "WECHATPAY_PUBLIC_KEY_ID": wx.PUBLIC_KEY_ID,
        "WECHATPAY_API_BASE": base,
        # H5 pay sends the phone to an https page of WeChat's; the sandbox has none, so
        # phones get the QR page too (with its "pay in the sandbox" link).
        "WECHATPAY_H5": "false",
        "ALIPAY_APPID": ali.APPID,
        "ALIPAY_APP_PRIVATE_KEY_PATH": str(out / "alipay_app_private_key.pem"),
        "ALIPAY_PUBLIC_KEY_PATH": str(out / "alipay_public_key.txt"),
        "ALIPAY_API_BASE": base,
    }
    return values


def post(url: str, body: bytes, headers: dict) -> int:
    """Deliver a notification to the portal; returns its HTTP status (0: unreachable)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - local
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


class Sandbox:
    def __init__(self, base: str):
        self.base = base
        self.wechat = wx.FakeWeChatPay()
        self.alipay = ali.FakeAlipay()
        self.log: list[str] = []
        self.lock = threading.Lock()

    # --- WeChat Pay ---------------------------------------------------------------------

    def wechat_api(self, method: str, path: str, headers: dict, body: bytes):
        """Forward an API call to the fake, answer as it answered (signed by it)."""
        request = urllib.request.Request(  # noqa: S310 - the local fake
            self.wechat.url + path,
            data=body or None,
            headers={
                k: v
                for k, v in headers.items()
                if k.lower() in ("authorization", "content-type", "accept")
            },
            method=method,
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    def wechat_order_for_code(self, code: str) -> str | None:
        """The order a Native QR code (``weixin://wxpay/bizpayurl?pr=…``) belongs to."""
        prepay = dict(parse_qsl(urlparse(code).query)).get("pr")
        return next((no for no, o in self.wechat.orders.items() if o["prepay"] == prepay), None)

    def wechat_pay(self, no: str) -> str:
        order = self.wechat.orders[no]
        resource = self.wechat.pay(no)
        body = wx.notification_body("TRANSACTION.SUCCESS", resource)
        status = post(
            order["request"]["notify_url"],
            body.encode(),
            {"Content-Type": "application/json", **wx.signed_headers(body)},
        )
        self.note(f"WeChat Pay {no}: paid, notification answered {status}")
        return status

    def wechat_refund(self, out_refund_no: str) -> int:
        refund = self.wechat.refunds[out_refund_no]
        refund["status"] = "SUCCESS"
        order = self.wechat.orders[refund["out_trade_no"]]
        body = wx.notification_body("REFUND.SUCCESS", self.wechat.refund_resource(out_refund_no))
        status = post(
            order["request"]["notify_url"],
            body.encode(),
            {"Content-Type": "application/json", **wx.signed_headers(body)},
        )
        self.note(f"WeChat Pay refund {out_refund_no}: succeeded, notification answered {status}")
        return status

    # --- Alipay -------------------------------------------------------------------------

    def alipay_api(self, query: str):
        with urllib.request.urlopen(f"{self.alipay.url}/?{query}", timeout=30) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()

    def alipay_pay(self, no: str) -> tuple[int, str]:
        trade = self.alipay.pay(no)
        params = self.alipay.notification(no)
        status = post(
            trade["params"]["notify_url"],
            urlencode(params).encode(),
            {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        )
        self.note(f"Alipay {no}: paid, notification answered {status}")
        return status, trade["params"].get("return_url", SITE_URL)

    def note(self, line: str) -> None:
        with self.lock:
            self.log.append(line)
            del self.log[:-20]
        print(line, flush=True)  # noqa: T201 - the sandbox's own console


def page(title: str, body: str) -> bytes:
    return (
        "<!doctype html><html lang='zh-Hans'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><style>"
        "body{font:18px/1.6 sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;"
        "color:#1f2328}.banner{background:#fff3cd;border:2px solid #8a6d00;padding:.5rem 1rem}"
        "button{font-size:1.1rem;padding:.6rem 1.4rem;margin:.2rem 0}"
        "table{border-collapse:collapse}td,th{border-bottom:1px solid #ccc;padding:.3rem .6rem;"
        "text-align:left}</style></head><body>"
        "<p class='banner'><strong>测试收银台 / Payment sandbox</strong> — 不会扣款，仅用于测试 · "
        "no real money moves</p>"
        f"<h1>{html.escape(title)}</h1>{body}</body></html>"
    ).encode()


def yuan(fen: int) -> str:
    return f"¥{Decimal(fen) / 100:,.2f}"


def make_handler(sandbox: Sandbox):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _send(self, status: int, headers: dict, raw: bytes):
            self.send_response(status)
            for name, value in headers.items():
                if name.lower() not in (
                    "content-length",
                    "transfer-encoding",
                    "connection",
                    "date",
                    "server",
                ):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def _html(self, title: str, body: str, status: int = 200):
            self._send(status, {"Content-Type": "text/html; charset=utf-8"}, page(title, body))

        def _redirect(self, url: str):
            self._send(303, {"Location": url}, b"")

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def do_GET(self):
            url = urlparse(self.path)
            if url.path.startswith("/v3/"):
                return self._send(*sandbox.wechat_api("GET", self.path, dict(self.headers), b""))
            if url.path == "/gateway.do":
                params = dict(parse_qsl(url.query, keep_blank_values=True))
                if params.get("method") in PAGE_PAY:
                    return self._alipay_cashier(params)
                return self._send(*sandbox.alipay_api(url.query))
            if url.path == "/wechat/scan":
                code = dict(parse_qsl(url.query)).get("code", "")
                return self._wechat_cashier(sandbox.wechat_order_for_code(code) or "")
            if url.path.startswith("/wechat/pay/"):
                return self._wechat_cashier(url.path.rsplit("/", 1)[1])
            if url.path == "/":
                return self._index()
            return self._html("Not found", "<p>Unknown page.</p>", 404)

        def do_POST(self):
            url = urlparse(self.path)
            body = self._body()
            if url.path.startswith("/v3/"):
                return self._send(*sandbox.wechat_api("POST", self.path, dict(self.headers), body))
            parts = url.path.strip("/").split("/")
            try:
                if parts[:2] == ["wechat", "pay"]:
                    status = sandbox.wechat_pay(parts[2])
                    return self._html(
                        "已支付 / Paid",
                        f"<p>微信支付通知已发送，平台回复 {status}。</p>"
                        f"<p><a href='{html.escape(SITE_URL)}'>返回平台 / Back to the portal"
                        "</a></p>",
                    )
                if parts[:2] == ["wechat", "refund"]:
                    sandbox.wechat_refund(parts[2])
                    return self._redirect("/")
                if parts[:2] == ["alipay", "pay"]:
                    _status, back = sandbox.alipay_pay(parts[2])
                    return self._redirect(back)
            except (KeyError, IndexError):
                return self._html("Not found", "<p>No such order.</p>", 404)
            return self._html("Not found", "<p>Unknown action.</p>", 404)

        def _wechat_cashier(self, no: str):
            order = sandbox.wechat.orders.get(no)
            if order is None:
                return self._html("Not found", "<p>No such order.</p>", 404)
            request = order["request"]
            if order["trade_state"] != "NOTPAY":
                return self._html(
                    "微信支付 / WeChat Pay", f"<p>订单状态：{order['trade_state']}</p>"
                )
            return self._html(
                "微信支付 / WeChat Pay",
                f"<p>{html.escape(request['description'])}</p>"
                f"<p>金额 / Amount: <strong>{yuan(request['amount']['total'])}</strong></p>"
                f"<form method='post' action='/wechat/pay/{html.escape(no)}'>"
                "<button type='submit'>确认支付 / Pay</button></form>",
            )

        def _alipay_cashier(self, params: dict):
            if not ali.FakeAlipay.verify_request(params):
                return self._html(
                    "签名错误 / Bad signature",
                    "<p>The pay URL is not signed with the app key.</p>",
                    400,
                )
            trade = sandbox.alipay.open("/?" + urlencode(params))
            biz = trade["biz"]
            no = html.escape(biz["out_trade_no"])
            return self._html(
                "支付宝 / Alipay",
                f"<p>{html.escape(biz.get('subject', ''))}</p>"
                f"<p>金额 / Amount: <strong>¥{html.escape(biz['total_amount'])}</strong></p>"
                f"<form method='post' action='/alipay/pay/{no}'>"
                "<button type='submit'>确认付款 / Pay</button></form>",
            )

        def _index(self):
            rows = []
            for no, order in sandbox.wechat.orders.items():
                if order["trade_state"] == "NOTPAY":
                    rows.append(
                        f"<tr><td>微信支付</td><td>{html.escape(no)}</td>"
                        f"<td>{yuan(order['request']['amount']['total'])}</td>"
                        f"<td><a href='/wechat/pay/{html.escape(no)}'>去支付 / Pay</a></td></tr>"
                    )
            for no, refund in sandbox.wechat.refunds.items():
                if refund["status"] == "PROCESSING":
                    rows.append(
                        f"<tr><td>微信退款</td><td>{html.escape(no)}</td>"
                        f"<td>{yuan(refund['amount']['refund'])}</td><td>"
                        f"<form method='post' action='/wechat/refund/{html.escape(no)}'>"
                        "<button type='submit'>退款成功 / Confirm refund</button></form></td></tr>"
                    )
            table = (
                "<table><tr><th>类型</th><th>单号</th><th>金额</th><th></th></tr>"
                + "".join(rows)
                + "</table>"
                if rows
                else "<p>没有待支付的订单或处理中的退款。/ Nothing waiting.</p>"
            )
            log = "".join(f"<li>{html.escape(line)}</li>" for line in reversed(sandbox.log))
            self._html(
                "测试收银台 / Payment sandbox",
                table + (f"<h2>记录 / Log</h2><ul>{log}</ul>" if log else ""),
            )

    return Handler


def start(port: int = PORT, out: Path = OUT) -> tuple[ThreadingHTTPServer, Sandbox, dict]:
    """Bind the sandbox (port 0: any free port) and write its keys; returns the server
    (not yet serving), the sandbox and the portal's settings for it."""
    server = ThreadingHTTPServer(("127.0.0.1", port), None)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    sandbox = Sandbox(base)
    server.RequestHandlerClass = make_handler(sandbox)
    return server, sandbox, settings_for(base, out)


def main() -> None:
    server, sandbox, values = start()
    env = OUT / "env"
    env.write_text("".join(f"export {k}='{v}'\n" for k, v in values.items()))
    print(f"Payment sandbox (WeChat Pay, Alipay): {sandbox.base}/  settings: {env}", flush=True)  # noqa: T201
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        env.unlink(missing_ok=True)
        sandbox.wechat.close()
        sandbox.alipay.close()


if __name__ == "__main__":
    main()
