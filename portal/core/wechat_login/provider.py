"""allauth's ``weixin`` provider with the adapter of :mod:`.views` (selected by
``SOCIALACCOUNT_PROVIDERS["weixin"]["provider_class"]``; allauth still registers it from
``allauth.socialaccount.providers.weixin`` in ``INSTALLED_APPS``).

The social account's ``uid`` is the openid (what WeChat Pay JSAPI needs as
``payer.openid``); ``extra_data`` keeps WeChat's user info with ``unionid`` and the
``appid`` the openid belongs to.
"""

from __future__ import annotations

from allauth.socialaccount.providers.weixin.provider import WeixinProvider

from .views import WeChatOAuth2Adapter


class WeChatProvider(WeixinProvider):
    name = "WeChat"
    oauth2_adapter_class = WeChatOAuth2Adapter
    package = "portal.core.wechat_login"

    def extract_common_fields(self, data):
        # The nickname is only a suggestion for the username on the sign-up form.
        return {"username": data.get("nickname") or "", "name": data.get("nickname") or ""}
