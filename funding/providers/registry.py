"""Provider adapters by name (see :mod:`funding.providers.base`).

To plug in a provider, add its adapter's dotted path to :data:`ADAPTERS`; its
notifications are then accepted at ``POST /funding/<name>/notify/`` and go through the
same inbox as every other provider's.
"""

from __future__ import annotations

from django.utils.module_loading import import_string

from .base import ProviderAdapter

ADAPTERS: dict[str, str] = {
    "stripe": "funding.providers.stripe.StripeAdapter",
    "wechatpay": "funding.providers.wechatpay.WeChatPayAdapter",
    "alipay": "funding.providers.alipay.AlipayAdapter",
}

_loaded: dict[str, ProviderAdapter] = {}


def get_adapter(name: str) -> ProviderAdapter | None:
    """The adapter registered under ``name`` (one instance per process), or None."""
    adapter = _loaded.get(name)
    if adapter is None and name in ADAPTERS:
        adapter = _loaded[name] = import_string(ADAPTERS[name])()
    return adapter


def register_adapter(name: str, adapter: ProviderAdapter) -> None:
    """Register an adapter instance directly (tests, or an app's ``ready()``)."""
    _loaded[name] = adapter


def unregister_adapter(name: str) -> None:
    _loaded.pop(name, None)
