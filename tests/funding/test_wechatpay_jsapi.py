"""WeChat Pay JSAPI: inside WeChat, a donor signed in with WeChat (openid of the
merchant's AppID) pays through WeixinJSBridge instead of long-pressing a QR code.
Against the local WeChat Pay fake (tests/funding/wechatpay_fake.py) and, end to end,
the local WeChat OAuth fake (tests/organizations/wechat_oauth_fake.py)."""

import json
import re
from urllib.parse import urlparse

import pytest
import requests
from allauth.socialaccount.models import SocialAccount

from funding.enums import DonationStatus
from funding.providers import channel_for, wechat_payer_openid
from portal.core.wechat_login.config import provider_settings
from tests.factories.funding import MatchingRuleFactory
from tests.factories.funding import funded_pool as make_pool
from tests.factories.organizations import UserFactory
from tests.organizations import wechat_oauth_fake as oauth_fake

from . import wechatpay_fake as wx
from .test_wechatpay import DESKTOP, IN_WECHAT, drain, give, notify

pytestmark = pytest.mark.django_db


@pytest.fixture
def pool():
    MatchingRuleFactory()
    return make_pool(100_000)


def _wechat_donor(client, *, appid=wx.APPID, openid=wx.PAYER_OPENID):
    user = UserFactory()
    SocialAccount.objects.create(
        user=user, provider="weixin", uid=openid, extra_data={"appid": appid, "nickname": "李四"}
    )
    client.force_login(user)
    return user


def _parameters(page) -> dict:
    html = page.content.decode()
    found = re.search(
        r'<script id="wechat-pay-parameters" type="application/json">(.*?)</script>', html, re.S
    )
    assert found, html[:3000]
    return json.loads(found[1])


def test_signed_in_with_wechat_inside_wechat_pays_by_jsapi(client, fake_wechatpay, pool):
    _wechat_donor(client)
    gift, pay = give(client, ua=IN_WECHAT)

    assert pay.status_code == 302
    assert pay["Location"] == f"/donate/gift/{gift.access_token}/wechat-pay/"
    order = fake_wechatpay.orders[gift.external_id]
    assert order["kind"] == "jsapi"
    assert order["request"]["payer"] == {"openid": wx.PAYER_OPENID}
    assert order["request"]["appid"] == wx.APPID
    gift.refresh_from_db()
    assert gift.payment_code == f"prepay_id=wx{order['prepay']}"

    page = client.get(pay["Location"], HTTP_USER_AGENT=IN_WECHAT)
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    parameters = _parameters(page)
    assert set(parameters) == {"appId", "timeStamp", "nonceStr", "package", "signType", "paySign"}
    assert parameters["appId"] == wx.APPID
    assert parameters["package"] == gift.payment_code
    assert parameters["signType"] == "RSA"
    assert parameters["timeStamp"].isdigit()
    assert fake_wechatpay.jsapi_signature_valid(parameters)
    # a tampered parameter no longer matches the signature
    assert not fake_wechatpay.jsapi_signature_valid({**parameters, "package": "prepay_id=wx0"})
    assert 'src="/static/funding/js/wechat-pay.js"' in page.content.decode()

    # WeChat Pay notifies the payment: counted once, like a Native one
    resource = fake_wechatpay.pay(gift.external_id)
    assert resource["trade_type"] == "JSAPI"
    assert resource["payer"] == {"openid": wx.PAYER_OPENID}
    assert notify(client, "TRANSACTION.SUCCESS", resource).status_code == 204
    drain()
    gift.refresh_from_db()
    assert gift.status == DonationStatus.SUCCEEDED
    assert client.get(pay["Location"])["Location"] == f"/donate/gift/{gift.access_token}/status/"


def test_same_donor_on_a_computer_gets_the_qr_code(client, fake_wechatpay, pool):
    _wechat_donor(client)
    gift, pay = give(client, ua=DESKTOP)
    assert fake_wechatpay.orders[gift.external_id]["kind"] == "native"
    assert pay["Location"] == f"/donate/gift/{gift.access_token}/scan/"


def test_openid_of_another_appid_is_never_charged(client, fake_wechatpay, pool):
    # e.g. the website QR login's AppID: WeChat Pay would refuse that openid
    _wechat_donor(client, appid="wx-website-app")
    gift, pay = give(client, ua=IN_WECHAT)
    assert fake_wechatpay.orders[gift.external_id]["kind"] == "native"
    assert "payer" not in fake_wechatpay.orders[gift.external_id]["request"]


def test_guest_inside_wechat_long_presses_the_qr_code(client, fake_wechatpay, pool):
    gift, pay = give(client, ua=IN_WECHAT)
    assert fake_wechatpay.orders[gift.external_id]["kind"] == "native"
    assert client.get(f"/donate/gift/{gift.access_token}/wechat-pay/").status_code == 302


def test_qr_page_never_shows_a_jsapi_order(client, fake_wechatpay, pool):
    _wechat_donor(client)
    gift, _ = give(client, ua=IN_WECHAT)
    scan = client.get(f"/donate/gift/{gift.access_token}/scan/")
    assert scan.status_code == 302
    assert scan["Location"] == f"/donate/gift/{gift.access_token}/status/"


def test_wechat_pay_refusing_the_openid_fails_the_checkout(client, fake_wechatpay, pool):
    _wechat_donor(client)
    fake_wechatpay.openids = set()  # WeChat Pay: "openid和appid不匹配"
    gift, pay = give(client, ua=IN_WECHAT)
    assert pay.status_code == 200  # the confirmation page again, with the error
    assert fake_wechatpay.orders == {}
    gift.refresh_from_db()
    assert gift.status == DonationStatus.FAILED


def test_channel_choice():
    assert channel_for("wechatpay", IN_WECHAT, payer_openid="o1") == "jsapi"
    assert channel_for("wechatpay", IN_WECHAT) == "native"
    assert channel_for("wechatpay", DESKTOP, payer_openid="o1") == "native"
    assert channel_for("alipay", IN_WECHAT, payer_openid="o1") == "wap"


def test_payer_openid_needs_the_merchant_appid(settings):
    user = UserFactory()
    SocialAccount.objects.create(
        user=user, provider="weixin", uid="o-pay", extra_data={"appid": "wx-pay"}
    )
    settings.WECHATPAY_APPID = "wx-pay"
    assert wechat_payer_openid(user) == "o-pay"
    settings.WECHATPAY_APPID = "wx-other"
    assert wechat_payer_openid(user) == ""


def test_sign_in_with_wechat_then_pay_inside_wechat(
    client, settings, fake_wechatpay, pool, site_pages
):
    """The official account's web authorisation (same AppID as the merchant) gives the
    openid; the next gift inside WeChat is a JSAPI order naming it."""
    oauth = oauth_fake.FakeWeChatOAuth(appid=wx.APPID)
    oauth.people = {wx.PAYER_OPENID: {"nickname": "李四", "unionid": "u-1"}}
    oauth.person = wx.PAYER_OPENID
    try:
        settings.SOCIALACCOUNT_PROVIDERS = {
            "weixin": provider_settings(
                appid=wx.APPID,
                secret=oauth_fake.SECRET,
                api_base=oauth.url,
                authorize_url="https://open.weixin.qq.com/connect/oauth2/authorize",
                scope="snsapi_userinfo",
            )
        }
        user = UserFactory(username="lisi", email="ls@example.org")
        SocialAccount.objects.create(user=user, provider="weixin", uid=wx.PAYER_OPENID)
        to_wechat = client.post("/accounts/weixin/login/", HTTP_USER_AGENT=IN_WECHAT)
        answer = requests.get(to_wechat["Location"], allow_redirects=False, timeout=5)
        back = urlparse(answer.headers["Location"])
        assert client.get(f"{back.path}?{back.query}").status_code == 302
        assert client.session["_auth_user_id"] == str(user.pk)
    finally:
        oauth.close()
    assert SocialAccount.objects.get(user=user).extra_data["appid"] == wx.APPID

    gift, pay = give(client, ua=IN_WECHAT)
    assert pay["Location"] == f"/donate/gift/{gift.access_token}/wechat-pay/"
    assert fake_wechatpay.orders[gift.external_id]["request"]["payer"]["openid"] == wx.PAYER_OPENID
