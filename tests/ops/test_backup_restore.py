"""Backup and restore round-trips preserve every ledger total exactly.

SQLite: the test database is copied with the sqlite3 online-backup API, then
``scripts/backup.sh`` and ``scripts/restore.sh`` take it through a backup file into a
fresh database. PostgreSQL: ``scripts/backup.sh`` (pg_dump custom format) and
``scripts/restore.sh`` (pg_restore, one transaction) into a new, empty database. Both
end with ``manage.py reconcile`` on the restored copy.
"""

import os
import sqlite3
import subprocess
import sys

import pytest
from django.db import connection

from funding.services.donations import mark_succeeded
from funding.services.matching import reserve_match
from funding.services.reconcile import reconcile
from tests.factories.funding import DonationFactory, MatchingRuleFactory, funded_pool

from .servers import ROOT

# Every figure a restore must reproduce: balances and entry counts per account, the
# transactions by kind, donations and reservations by status, the balance cache.
TOTALS = {
    "accounts": "SELECT account_id, SUM(amount), COUNT(*) FROM funding_entry "
    "GROUP BY account_id ORDER BY account_id",
    "transactions": "SELECT t.kind, COUNT(DISTINCT t.id), SUM(ABS(e.amount)) "
    "FROM funding_ledgertransaction t JOIN funding_entry e "
    "ON e.transaction_id = t.id GROUP BY t.kind ORDER BY t.kind",
    "donations": "SELECT status, COUNT(*), SUM(amount) FROM funding_donation "
    "GROUP BY status ORDER BY status",
    "reservations": "SELECT status, COUNT(*), SUM(amount) FROM funding_matchreservation "
    "GROUP BY status ORDER BY status",
    "balances": "SELECT * FROM funding_projectbalance ORDER BY 1",
}


def totals(cursor) -> dict:
    result = {}
    for name, sql in TOTALS.items():
        cursor.execute(sql)
        result[name] = [
            tuple(int(v) if isinstance(v, int) else str(v) for v in row)
            for row in cursor.fetchall()
        ]
    return result


def make_ledger():
    """Gifts with and without match, one still held, a pool partly drawn."""
    MatchingRuleFactory()
    funded_pool(25_000)
    for i, amount in enumerate([10_000, 8_800, 12_345, 6_600]):
        donation = DonationFactory(amount=amount)
        reserve_match(donation=donation)
        if i != 3:
            mark_succeeded(donation=donation, amount_received=amount, currency="CNY")
    report = reconcile()
    assert report.ok, report.problems


def run(args, env_extra):
    env = {**os.environ, "DJANGO_READ_DOT_ENV": "0", **env_extra}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.run(  # noqa: S603
        args,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def reconcile_in(database_url: str):
    return run(
        [sys.executable, "manage.py", "reconcile"],
        {"DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "portal.settings.test"},
    )


@pytest.mark.django_db(transaction=True)
def test_sqlite_backup_and_restore_preserve_every_ledger_total(tmp_path):
    # Deselected on PostgreSQL (tests/ops/conftest.py SQLITE_ONLY); the next test is its twin.
    make_ledger()
    with connection.cursor() as cursor:
        before = totals(cursor)
    live = tmp_path / "live.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(live)
    connection.connection.backup(target)  # the online backup API, as scripts/backup.sh
    target.close()

    backup = run(
        ["bash", "scripts/backup.sh", "-o", str(tmp_path / "b.sqlite3")],
        {"DATABASE_URL": f"sqlite:///{live}"},
    )
    assert backup.returncode == 0, backup.stderr
    restored = tmp_path / "restored" / "db.sqlite3"
    restore = run(
        ["bash", "scripts/restore.sh", backup.stdout.strip()],
        {"DATABASE_URL": f"sqlite:///{restored}"},
    )
    assert restore.returncode == 0, restore.stderr

    copy = sqlite3.connect(restored)
    after = totals(copy.cursor())
    copy.close()
    assert after == before
    assert before["accounts"] and before["donations"]
    checked = reconcile_in(f"sqlite:///{restored}")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    again = run(
        ["bash", "scripts/restore.sh", backup.stdout.strip()],
        {"DATABASE_URL": f"sqlite:///{restored}"},
    )
    assert again.returncode != 0 and "refusing" in again.stderr


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_dump_and_restore_preserve_every_ledger_total(tmp_path, pg_url):
    import psycopg

    make_ledger()
    with connection.cursor() as cursor:
        before = totals(cursor)
    restored_name = "portal_ops_restored"
    admin = pg_url.rsplit("/", 1)[0] + "/postgres"
    restored_url = pg_url.rsplit("/", 1)[0] + "/" + restored_name
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{restored_name}"')
        conn.execute(f'CREATE DATABASE "{restored_name}"')
    try:
        backup = run(
            ["bash", "scripts/backup.sh"], {"DATABASE_URL": pg_url, "BACKUP_DIR": str(tmp_path)}
        )
        assert backup.returncode == 0, backup.stderr
        dump = backup.stdout.strip()
        assert dump.endswith(".dump")
        restore = run(["bash", "scripts/restore.sh", dump], {"DATABASE_URL": restored_url})
        assert restore.returncode == 0, restore.stderr
        with psycopg.connect(restored_url) as conn:
            after = totals(conn.cursor())
        assert after == before
        assert before["accounts"] and before["donations"]
        checked = reconcile_in(restored_url)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        # A second restore into the now non-empty database is refused, not merged.
        again = run(["bash", "scripts/restore.sh", dump], {"DATABASE_URL": restored_url})
        assert again.returncode != 0 and "refusing" in again.stderr
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{restored_name}" WITH (FORCE)')
