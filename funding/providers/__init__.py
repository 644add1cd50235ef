"""Payment providers. ``stripe`` talks to Stripe, ``wechatpay`` to WeChat Pay,
``alipay`` to Alipay (each the only importer of its SDK); ``testpay`` simulates a
checkout for demos and refuses to run unless DEBUG is on."""

from dataclasses import dataclass


@dataclass
class CheckoutResult:
    session_id: str
    url: str
    # The payload of a QR code to show on our own page (WeChat Pay Native ``code_url``).
    code: str = ""


def configured_providers() -> list[str]:
    """Every online provider configured on this site (``DonationSource`` values), in a
    neutral order; the development provider only when nothing real is configured."""
    from . import alipay, testpay, wechatpay
    from . import stripe as stripe_provider

    found = []
    if wechatpay.is_configured():
        found.append("wechatpay")
    if alipay.is_configured():
        found.append("alipay")
    if stripe_provider.is_configured():
        found.append("stripe")
    if not found and testpay.is_enabled():
        found.append("test")
    return found


def device_of(user_agent: str) -> str:
    """``wechat`` (WeChat's in-app browser), ``mobile`` (a phone's browser) or
    ``desktop``, from the User-Agent."""
    ua = user_agent or ""
    if "MicroMessenger" in ua:
        return "wechat"
    if any(m in ua for m in ("Mobile", "Android", "iPhone", "iPad", "HarmonyOS")):
        return "mobile"
    return "desktop"


def online_methods(user_agent: str = "") -> list[str]:
    """The configured providers in the order that suits the device: the domestic
    wallets before cards; inside WeChat, WeChat Pay first and Alipay last (WeChat's
    browser does not open Alipay's pages)."""
    found = configured_providers()
    if device_of(user_agent) == "wechat":
        order = ["wechatpay", "stripe", "test", "alipay"]
    else:
        order = ["wechatpay", "alipay", "stripe", "test"]
    return sorted(found, key=order.index)


def online_provider_name() -> str:
    """The first configured provider (``""`` when none: the donate page then points to
    offline giving)."""
    found = configured_providers()
    return found[0] if found else ""


def channel_for(provider: str, user_agent: str, payer_openid: str = "") -> str:
    """How a provider's checkout runs on this device: WeChat Pay ``jsapi`` inside WeChat
    for a donor whose openid is known (:func:`wechat_payer_openid`), ``h5`` in a phone's
    browser (when the merchant has H5), else ``native`` (QR code; inside WeChat without
    an openid the donor long-presses it); Alipay ``wap`` on a phone, else ``page``;
    others: ``""``."""
    if provider == "alipay":
        return "wap" if device_of(user_agent) != "desktop" else "page"
    if provider != "wechatpay":
        return ""
    from . import wechatpay

    device = device_of(user_agent)
    if device == "wechat" and payer_openid:
        return "jsapi"
    if device == "mobile" and wechatpay.h5_enabled():
        return "h5"
    return "native"


def wechat_payer_openid(user) -> str:
    """The openid WeChat Pay JSAPI can charge for ``user``: their "sign in with WeChat"
    account's, and only when it was issued for ``WECHATPAY_APPID`` (an openid belongs to
    one AppID; WeChat Pay refuses another app's). ``""`` otherwise."""
    from django.conf import settings

    if not getattr(user, "is_authenticated", False) or not settings.WECHATPAY_APPID:
        return ""
    from allauth.socialaccount.models import SocialAccount

    for account in SocialAccount.objects.filter(user=user, provider="weixin").order_by("pk"):
        if (account.extra_data or {}).get("appid") == settings.WECHATPAY_APPID:
            return account.uid
    return ""


def is_test_payment(source: str) -> bool:
    """True when a gift from ``source`` moves no real money on this site: the
    development provider, Stripe test keys (``sk_test_``/``rk_test_``), Alipay's
    sandbox, or any provider pointed at a local fake (``*_API_BASE``, which production
    refuses). Offline and imported gifts are real money."""
    from django.conf import settings

    if source == "test":
        return True
    if source == "stripe":
        key = settings.STRIPE_SECRET_KEY or ""
        return key.startswith(("sk_test_", "rk_test_")) or bool(settings.STRIPE_API_BASE)
    if source == "alipay":
        return bool(settings.ALIPAY_SANDBOX or settings.ALIPAY_API_BASE)
    if source == "wechatpay":
        return bool(settings.WECHATPAY_API_BASE)
    return False
