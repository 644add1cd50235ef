"""Sign in with WeChat through django-allauth's ``weixin`` provider (docs/configuration.md).

``config.provider_settings`` builds ``SOCIALACCOUNT_PROVIDERS["weixin"]`` from the
settings (no app configured: no button, no login URL); ``provider.WeChatProvider`` is
allauth's provider with its WeChat endpoints taken from those settings, so tests and the
payment sandbox can point it at a local fake of WeChat's OAuth server.
"""
