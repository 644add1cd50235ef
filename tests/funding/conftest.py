import pytest
from django.conf import settings

from .stripe_fake import WEBHOOK_SECRET, FakeStripe


def _is_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgres`` need real row locks and parallel connections; on SQLite
    they are deselected (reported as deselected, never skipped)."""
    if _is_postgres():
        return
    keep, drop = [], []
    for item in items:
        (drop if item.get_closest_marker("postgres") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture
def finance_users(db):
    from django.contrib.auth.models import Group

    from organizations.roles import FINANCE_OFFICER
    from tests.factories.organizations import UserFactory

    group, _ = Group.objects.get_or_create(name=FINANCE_OFFICER)
    first, second = UserFactory(username="finance-a"), UserFactory(username="finance-b")
    first.groups.add(group)
    second.groups.add(group)
    return first, second


@pytest.fixture
def fake_stripe(settings):
    """A local server speaking Stripe's signed protocol, with the SDK pointed at it."""
    fake = FakeStripe()
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = fake.url
    yield fake
    fake.close()


@pytest.fixture
def fake_wechatpay(settings):
    """A local server speaking WeChat Pay API v3's signed protocol, with the portal's
    WeChat Pay settings (real generated keys) pointed at it."""
    from . import wechatpay_fake as wx

    keys = wx.keys()
    fake = wx.FakeWeChatPay()
    settings.WECHATPAY_MCHID = wx.MCHID
    settings.WECHATPAY_APPID = wx.APPID
    settings.WECHATPAY_API_V3_KEY = wx.API_V3_KEY
    settings.WECHATPAY_CERT_SERIAL_NO = wx.MERCHANT_SERIAL
    settings.WECHATPAY_PRIVATE_KEY = wx.private_pem(keys["merchant"])
    settings.WECHATPAY_PUBLIC_KEY = wx.public_pem(keys["platform"])
    settings.WECHATPAY_PUBLIC_KEY_ID = wx.PUBLIC_KEY_ID
    settings.WECHATPAY_API_BASE = fake.url
    settings.WECHATPAY_H5 = True
    yield fake
    fake.close()


@pytest.fixture
def fake_alipay(settings):
    """A local server speaking Alipay's signed gateway protocol; the portal's Alipay
    settings (real generated keys; Alipay's public key bare base64 as its console
    shows it) point at it."""
    from . import alipay_fake as ali

    keys = ali.keys()
    fake = ali.FakeAlipay()
    settings.ALIPAY_APPID = ali.APPID
    settings.ALIPAY_APP_PRIVATE_KEY = ali.private_pem(keys["app"])
    settings.ALIPAY_PUBLIC_KEY = ali.public_bare(keys["alipay"])
    settings.ALIPAY_API_BASE = fake.url
    yield fake
    fake.close()
