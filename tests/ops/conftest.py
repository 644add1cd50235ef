"""Operations tests: subprocess servers, PostgreSQL-only faults (deselected on SQLite
like tests/funding's ``postgres`` tests)."""

import pytest
from django.conf import settings


def _is_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


# SQLite-only tests (they use the sqlite3 backup API on the test database); their
# PostgreSQL twins carry the ``postgres`` marker.
SQLITE_ONLY = {"test_sqlite_backup_and_restore_preserve_every_ledger_total"}


def pytest_collection_modifyitems(config, items):
    postgres = _is_postgres()
    keep, drop = [], []
    for item in items:
        is_ops = "tests/ops/" in str(item.fspath).replace("\\", "/")
        if postgres:
            unfit = is_ops and item.originalname in SQLITE_ONLY
        else:
            unfit = is_ops and item.get_closest_marker("postgres") is not None
        (drop if unfit else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture
def pg_url():
    """A libpq URL for the test database pytest-django created."""
    db = settings.DATABASES["default"]
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )
