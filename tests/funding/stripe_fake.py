"""A local fake of the few Stripe endpoints we call, and real-HMAC webhook signing."""

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

WEBHOOK_SECRET = "whsec_test_secret"


class FakeStripe:
    def __init__(self):
        self.requests: list[dict] = []
        self.by_key: dict[str, dict] = {}
        self.fail = False
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = parse_qs(self.rfile.read(length).decode())
                key = self.headers.get("Idempotency-Key", "")
                fake.requests.append(
                    {
                        "path": self.path,
                        "key": key,
                        "body": body,
                        "auth": self.headers.get("Authorization", ""),
                    }
                )
                if fake.fail:
                    self._send(500, {"error": {"type": "api_error", "message": "boom"}})
                    return
                if self.path != "/v1/checkout/sessions":
                    self._send(404, {"error": {"type": "invalid_request_error"}})
                    return
                if key not in fake.by_key:
                    n = len(fake.by_key) + 1
                    fake.by_key[key] = {
                        "id": f"cs_test_{n}",
                        "object": "checkout.session",
                        "url": f"https://checkout.stripe.test/pay/cs_test_{n}",
                        "amount_total": int(body["line_items[0][price_data][unit_amount]"][0]),
                        "expires_at": int(body["expires_at"][0]),
                    }
                self._send(200, fake.by_key[key])

            def _send(self, code, payload):
                data = json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def sign(payload: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def event(event_id: str, type_: str, obj: dict) -> str:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": type_,
            "api_version": "2024-06-20",
            "created": int(time.time()),
            "data": {"object": obj},
        }
    )


def session_obj(
    donation,
    *,
    session_id: str,
    amount: int | None = None,
    payment_status: str = "paid",
    currency: str = "cny",
) -> dict:
    return {
        "id": session_id,
        "object": "checkout.session",
        "client_reference_id": str(donation.pk),
        "metadata": {"donation_id": str(donation.pk)},
        "amount_total": donation.amount if amount is None else amount,
        "currency": currency,
        "payment_status": payment_status,
        "payment_intent": f"pi_{donation.pk}",
    }


def charge_obj(donation, *, amount_refunded: int = 0) -> dict:
    return {
        "id": f"ch_{donation.pk}",
        "object": "charge",
        "amount": donation.amount,
        "amount_captured": donation.amount,
        "amount_refunded": amount_refunded,
        "currency": "cny",
        "paid": True,
        "payment_intent": f"pi_{donation.pk}",
        "metadata": {"donation_id": str(donation.pk)},
    }
