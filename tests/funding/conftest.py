import pytest
from django.conf import settings


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
