"""The payment sandbox of `make run` (scripts/payment_sandbox.py): a donor pays by WeChat
Pay (Native QR) and by Alipay (page pay) through its cashier pages, and the signed
notifications it sends reach the portal over HTTP and count the gift once."""

import importlib.util
import re
import threading
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from funding.enums import DonationSource, DonationStatus
from funding.models import Donation
from funding.services.reconcile import reconcile
from tests.factories.funding import MatchedProjectFactory, MatchingRuleFactory
from tests.factories.funding import funded_pool as make_pool

pytestmark = pytest.mark.django_db(transaction=True)
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "payment_sandbox.py"


def _script():
    spec = importlib.util.spec_from_file_location("payment_sandbox", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def sandbox(settings, live_server, tmp_path):
    """The sandbox on a free port, the portal's provider settings read from what it
    writes (as scripts/serve.sh does), and notifications delivered to a live server."""
    server, box, values = _script().start(port=0, out=tmp_path)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    for name, value in values.items():
        setattr(settings, name, value == "true" if name == "WECHATPAY_H5" else value)
    settings.SITE_URL = live_server.url
    MatchingRuleFactory()
    make_pool(100_000)
    MatchedProjectFactory(slug="give-here")
    yield box
    server.shutdown()
    server.server_close()
    box.wechat.close()
    box.alipay.close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _open(url: str, *, post: bool = False):
    """(status, headers, text) of a GET or an empty POST, redirects not followed."""
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, data=b"" if post else None)  # noqa: S310 - local
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode()


def _give(client, method: str) -> Donation:
    response = client.post(
        "/donate/give-here/",
        {
            "method": method,
            "preset": "10000",
            "donor_name": "李四",
            "donor_email": "ls@example.org",
            "anonymity": "none",
        },
    )
    assert response.status_code == 302, response.content.decode()[:1000]
    client.post(response["Location"], {"pay": "1"})
    return Donation.objects.latest("pk")


def test_wechat_pay_native_through_the_sandbox_cashier(client, sandbox):
    gift = _give(client, DonationSource.WECHATPAY)
    scan = client.get(f"/donate/gift/{gift.access_token}/scan/").content.decode()
    link = re.search(r'href="([^"]+/wechat/scan\?code=[^"]+)"', scan).group(1).replace("&amp;", "&")

    status, _headers, cashier = _open(link)
    assert status == 200
    assert "¥100.00" in cashier
    action = re.search(r"action='(/wechat/pay/[^']+)'", cashier).group(1)
    status, _headers, paid = _open(sandbox.base + action, post=True)

    gift.refresh_from_db()
    assert status == 200
    assert "平台回复 204" in paid  # the portal accepted the signed notification
    assert gift.status == DonationStatus.SUCCEEDED
    assert gift.source == DonationSource.WECHATPAY
    assert reconcile().problems == []
    # A second "pay" of the same order is a duplicate notification: counted once.
    _open(sandbox.base + action, post=True)
    assert Donation.objects.filter(status=DonationStatus.SUCCEEDED).count() == 1


def test_alipay_page_pay_through_the_sandbox_cashier(client, sandbox):
    gift = _give(client, DonationSource.ALIPAY)
    gateway = gift.checkout_url
    assert gateway.startswith(sandbox.base + "/gateway.do?")

    status, _headers, cashier = _open(gateway)
    assert status == 200
    assert "¥100.00" in cashier
    action = re.search(r"action='(/alipay/pay/[^']+)'", cashier).group(1)
    status, headers, _body = _open(sandbox.base + action, post=True)

    gift.refresh_from_db()
    assert status == 303
    assert urlparse(headers["Location"]).path == f"/donate/gift/{gift.access_token}/status/"
    assert gift.status == DonationStatus.SUCCEEDED
    assert reconcile().problems == []


def test_sandbox_refuses_unknown_orders_and_forged_pay_urls(sandbox):
    assert _open(sandbox.base + "/wechat/scan?code=weixin://wxpay/bizpayurl?pr=nope")[0] == 404
    assert _open(sandbox.base + "/wechat/pay/G1T1", post=True)[0] == 404
    forged = sandbox.base + "/gateway.do?method=alipay.trade.page.pay&app_id=1&sign=AAAA"
    assert _open(forged)[0] == 400
