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
