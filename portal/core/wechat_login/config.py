"""``SOCIALACCOUNT_PROVIDERS["weixin"]`` from plain values (imported by the settings, so it
imports nothing of Django's)."""

from __future__ import annotations

AUTHORIZE_URL = "https://open.weixin.qq.com/connect/qrconnect"
ACCESS_TOKEN_URL = "https://api.weixin.qq.com/sns/oauth2/access_token"  # noqa: S105 - a URL
PROFILE_URL = "https://api.weixin.qq.com/sns/userinfo"


def provider_settings(
    *, appid: str, secret: str, api_base: str = "", authorize_url: str = "", scope: str = ""
) -> dict:
    """The ``weixin`` provider's settings: an app only when both ``appid`` and ``secret``
    are set (otherwise allauth lists no WeChat button and the login URL answers 404).

    ``api_base`` (tests and the payment sandbox only; production refuses it) replaces
    ``https://open.weixin.qq.com`` and ``https://api.weixin.qq.com`` for all three
    endpoints. ``authorize_url`` and ``scope`` switch from the website QR login
    (``qrconnect``, ``snsapi_login``) to an official account's web authorisation
    (``https://open.weixin.qq.com/connect/oauth2/authorize``, ``snsapi_userinfo``).
    """
    base = api_base.rstrip("/")
    if base:
        authorize = base + "/connect/" + (authorize_url or AUTHORIZE_URL).rsplit("/connect/", 1)[1]
        token_url, profile_url = base + "/sns/oauth2/access_token", base + "/sns/userinfo"
    else:
        authorize = authorize_url or AUTHORIZE_URL
        token_url, profile_url = ACCESS_TOKEN_URL, PROFILE_URL
    return {
        "provider_class": "portal.core.wechat_login.provider.WeChatProvider",
        "APPS": [{"client_id": appid, "secret": secret}] if appid and secret else [],
        "SCOPE": [scope or "snsapi_login"],
        "AUTHORIZE_URL": authorize,
        "ACCESS_TOKEN_URL": token_url,
        "PROFILE_URL": profile_url,
    }
