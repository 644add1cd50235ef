"""allauth's WeChat OAuth adapter with its endpoints from the settings.

Differences from ``allauth.socialaccount.providers.weixin.views`` (kept small on purpose):

- the token and user-info endpoints come from ``SOCIALACCOUNT_PROVIDERS["weixin"]``
  (``ACCESS_TOKEN_URL``, ``PROFILE_URL``; allauth only reads ``AUTHORIZE_URL``), so a local
  fake of WeChat's OAuth server can stand in for it;
- the code is exchanged with ``GET`` and query parameters, as WeChat documents
  ``/sns/oauth2/access_token``;
- ``/sns/userinfo`` is decoded as the UTF-8 JSON it is (allauth re-decodes the nickname
  for a Latin-1 guess, which garbles Chinese nicknames once ``requests`` decoded it
  right), and an ``errcode`` answer (WeChat answers errors with HTTP 200) or an answer
  about another openid fails the login instead of creating an account from it;
- the app id the openid belongs to is kept in ``extra_data["appid"]``: an openid is
  only valid for that app id (WeChat Pay JSAPI needs the one of its own app id).

The login and callback views answer 404 while no WeChat app is configured.
"""

from __future__ import annotations

import json
from functools import wraps

from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.weixin.views import WeixinOAuth2Adapter
from django.http import Http404

from . import config

PROVIDER_ID = "weixin"


class WeChatOAuth2Adapter(WeixinOAuth2Adapter):
    access_token_method = "GET"  # noqa: S105 - the HTTP method WeChat documents

    def _setting(self, key: str, default: str) -> str:
        return self.get_provider().get_settings().get(key) or default

    @property
    def authorize_url(self) -> str:
        return self._setting("AUTHORIZE_URL", config.AUTHORIZE_URL)

    @property
    def access_token_url(self) -> str:
        return self._setting("ACCESS_TOKEN_URL", config.ACCESS_TOKEN_URL)

    @property
    def profile_url(self) -> str:
        return self._setting("PROFILE_URL", config.PROFILE_URL)

    def complete_login(self, request, app, token, **kwargs):
        response = kwargs.get("response") or {}
        openid = response.get("openid")
        if not isinstance(openid, str) or not openid:
            raise OAuth2Error("WeChat gave no openid with the access token")
        params = {"access_token": token.token, "openid": openid, "lang": "zh_CN"}
        with get_adapter().get_requests_session() as session:
            answer = session.get(self.profile_url, params=params)
            answer.raise_for_status()
        try:
            data = json.loads(answer.content.decode("utf-8"))
        except ValueError as exc:
            raise OAuth2Error("WeChat user info is not JSON") from exc
        if not isinstance(data, dict) or data.get("errcode"):
            raise OAuth2Error("WeChat refused the user info request")
        if data.get("openid") != openid:
            raise OAuth2Error("WeChat user info is about another openid")
        data["appid"] = app.client_id
        if not data.get("unionid") and isinstance(response.get("unionid"), str):
            data["unionid"] = response["unionid"]
        return self.get_provider().sociallogin_from_response(request, data)


def _only_when_configured(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not get_adapter(request).list_apps(request, provider=PROVIDER_ID):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


oauth2_login = _only_when_configured(OAuth2LoginView.adapter_view(WeChatOAuth2Adapter))
oauth2_callback = _only_when_configured(OAuth2CallbackView.adapter_view(WeChatOAuth2Adapter))
