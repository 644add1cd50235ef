"""Operations tests: subprocess servers, PostgreSQL-only faults (deselected on SQLite
like tests/funding's ``postgres`` tests)."""

import pytest
from django.conf import settings


def _is_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def pytest_collection_modifyitems(config, items):
    if _is_postgres():
        return
    keep, drop = [], []
    for item in items:
        is_ops = "tests/ops/" in str(item.fspath).replace("\\", "/")
        (drop if is_ops and item.get_closest_marker("postgres") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture
def pg_url():
    """A libpq URL for the test database pytest-django created."""
    db = settings.DATABASES["default"]
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}")
