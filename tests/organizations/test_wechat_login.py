"""Sign in with WeChat (django-allauth's weixin provider, portal/core/wechat_login)
against a local fake of WeChat's OAuth server (tests/organizations/wechat_oauth_fake.py):
qrconnect → code → /sns/oauth2/access_token (GET) → /sns/userinfo."""

from urllib.parse import parse_qs, urlparse

import pytest
import requests
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.core import mail

from portal.core.wechat_login.config import provider_settings
from portal.models import Consent
from tests.factories.organizations import UserFactory
from tests.organizations import wechat_oauth_fake as wx

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake_oauth():
    fake = wx.FakeWeChatOAuth()
    yield fake
    fake.close()


@pytest.fixture
def wechat_login(settings, fake_oauth):
    settings.SOCIALACCOUNT_PROVIDERS = {
        "weixin": provider_settings(appid=wx.APPID, secret=wx.SECRET, api_base=fake_oauth.url)
    }
    return fake_oauth


def _to_wechat(client, prefix=""):
    """Press "Sign in with WeChat": allauth's POST redirects to WeChat's authorize page."""
    response = client.post(f"{prefix}/accounts/weixin/login/")
    assert response.status_code == 302
    return response["Location"]


def _scan(authorize_url):
    """The person scans the QR code and confirms: WeChat redirects back to us."""
    answer = requests.get(authorize_url, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    back = urlparse(answer.headers["Location"])
    return back.path + "?" + back.query, parse_qs(back.query)


def _sign_up_form(client, fake, *, email="xiaoming@example.org"):
    callback, _ = _scan(_to_wechat(client, "/en"))
    response = client.get(callback)
    assert response.status_code == 302
    assert response["Location"] == "/en/accounts/3rdparty/signup/"
    return client.post(
        "/en/accounts/3rdparty/signup/",
        {"email": email, "username": "xiaoming", "privacy_consent": "on"},
    )


def test_no_wechat_button_and_no_login_url_unless_configured(client, site_pages):
    assert "微信登录" not in client.get("/accounts/login/").content.decode()
    assert client.post("/accounts/weixin/login/").status_code == 404
    assert client.get("/accounts/weixin/login/callback/?code=x&state=y").status_code == 404


def test_login_page_offers_wechat_in_both_languages(client, site_pages, wechat_login):
    zh = client.get("/accounts/login/").content.decode()
    en = client.get("/en/accounts/login/").content.decode()
    assert "微信登录" in zh and 'href="/accounts/weixin/login/?process=login"' in zh
    assert "Sign in with WeChat" in en and 'href="/en/accounts/weixin/login/?process=login"' in en
    assert "微信登录" in client.get("/accounts/signup/").content.decode()


def test_authorize_request_is_wechats_qrconnect(client, site_pages, wechat_login):
    url = urlparse(_to_wechat(client))
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{wechat_login.url}/connect/qrconnect"
    assert query["appid"] == wx.APPID
    assert query["response_type"] == "code"
    assert query["scope"] == "snsapi_login"
    assert query["redirect_uri"] == "http://testserver/accounts/weixin/login/callback/"
    assert query["state"]


def test_first_wechat_sign_in_opens_an_account_holding_the_openid(client, site_pages, wechat_login):
    response = _sign_up_form(client, wechat_login)
    assert response.status_code == 302
    # the code was exchanged once, by GET with the secret, and the user info fetched
    [token_call] = wechat_login.calls("/sns/oauth2/access_token")
    assert token_call["method"] == "GET"
    assert token_call["query"]["secret"] == wx.SECRET
    assert token_call["query"]["grant_type"] == "authorization_code"
    assert len(wechat_login.calls("/sns/userinfo")) == 1
    account = SocialAccount.objects.get(provider="weixin")
    assert account.uid == wx.OPENID
    assert account.extra_data["unionid"] == wx.UNIONID
    assert account.extra_data["appid"] == wx.APPID
    assert account.extra_data["nickname"] == wx.NICKNAME  # UTF-8, not mangled
    user = account.user
    assert user.email == "xiaoming@example.org"
    assert Consent.objects.filter(user=user).exists()  # the consent box was on the form
    # the address is verified like any other before the account is used
    assert not EmailAddress.objects.get(user=user).verified
    assert len(mail.outbox) == 1


def test_second_wechat_sign_in_logs_the_same_account_in(client, site_pages, wechat_login):
    user = UserFactory(username="xiaoming", email="xiaoming@example.org")
    assert EmailAddress.objects.get(user=user).verified  # as the factory builds accounts
    SocialAccount.objects.create(
        user=user, provider="weixin", uid=wx.OPENID, extra_data={"appid": wx.APPID}
    )
    callback, _ = _scan(_to_wechat(client, "/en"))
    response = client.get(callback)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    assert get_user_model().objects.count() == 1
    account = SocialAccount.objects.get(user=user)
    assert account.extra_data["unionid"] == wx.UNIONID  # refreshed from /sns/userinfo


def _callback_fails(client, callback):
    response = client.get(callback)
    assert response.status_code == 401  # allauth's "third-party login failure" page
    assert "_auth_user_id" not in client.session
    assert not SocialAccount.objects.exists()
    return response.content.decode()


def test_a_person_who_declines_is_not_signed_in(client, site_pages, wechat_login):
    wechat_login.person = None
    callback, params = _scan(_to_wechat(client, "/en"))
    assert "code" not in params
    _callback_fails(client, callback)


def test_a_code_works_once(client, site_pages, wechat_login):
    callback, _ = _scan(_to_wechat(client, "/en"))
    first = client.get(callback)
    assert first.status_code == 302
    client.session.flush()
    # replaying the same code (with a fresh state) is refused by WeChat: no login
    _, fresh = _scan(_to_wechat(client, "/en"))
    code = parse_qs(urlparse(callback).query)["code"][0]
    replay = f"/en/accounts/weixin/login/callback/?code={code}&state={fresh['state'][0]}"
    assert client.get(replay).status_code == 401
    assert "_auth_user_id" not in client.session


def test_wrong_secret_fails_the_login(client, site_pages, settings, fake_oauth):
    settings.SOCIALACCOUNT_PROVIDERS = {
        "weixin": provider_settings(appid=wx.APPID, secret="wrong", api_base=fake_oauth.url)
    }
    callback, _ = _scan(_to_wechat(client, "/en"))
    _callback_fails(client, callback)


def test_forged_state_fails_the_login(client, site_pages, wechat_login):
    callback, params = _scan(_to_wechat(client, "/en"))
    forged = callback.replace(params["state"][0], "forged")
    _callback_fails(client, forged)
    assert wechat_login.calls("/sns/oauth2/access_token") == []


def test_user_info_error_fails_the_login(client, site_pages, wechat_login):
    wechat_login.userinfo = lambda query: {"errcode": 40003, "errmsg": "invalid openid"}
    callback, _ = _scan(_to_wechat(client, "/en"))
    _callback_fails(client, callback)


def test_user_info_about_another_person_fails_the_login(client, site_pages, wechat_login):
    real = wechat_login.userinfo
    wechat_login.userinfo = lambda query: {**real(query), "openid": "o-somebody-else"}
    callback, _ = _scan(_to_wechat(client, "/en"))
    _callback_fails(client, callback)


def test_official_account_authorisation_can_replace_qr_login(
    client, site_pages, settings, fake_oauth
):
    settings.SOCIALACCOUNT_PROVIDERS = {
        "weixin": provider_settings(
            appid=wx.APPID,
            secret=wx.SECRET,
            api_base=fake_oauth.url,
            authorize_url="https://open.weixin.qq.com/connect/oauth2/authorize",
            scope="snsapi_userinfo",
        )
    }
    url = urlparse(_to_wechat(client))
    assert url.path == "/connect/oauth2/authorize"
    assert parse_qs(url.query)["scope"] == ["snsapi_userinfo"]


def test_production_urls_are_wechats_own():
    conf = provider_settings(appid="a", secret="b")
    assert conf["AUTHORIZE_URL"] == "https://open.weixin.qq.com/connect/qrconnect"
    assert conf["ACCESS_TOKEN_URL"] == "https://api.weixin.qq.com/sns/oauth2/access_token"
    assert conf["PROFILE_URL"] == "https://api.weixin.qq.com/sns/userinfo"
    assert provider_settings(appid="a", secret="")["APPS"] == []
