"""Append-only ledger enforced by the database on PostgreSQL (#17 item 9).

A row trigger refuses every UPDATE and DELETE of ``funding_ledgertransaction`` and
``funding_entry`` — whatever the client: the ORM, raw SQL,
``bulk_create(update_conflicts=True)`` (``ON CONFLICT DO UPDATE`` fires it too) or psql.
``TRUNCATE`` (test-database flushes, a deliberate wipe by the owner) is not a row
operation and is left alone. SQLite gets no trigger: there the ORM guard
(``AppendOnlyModel``) and ``reconcile`` are the defence (docs/funding.md).
"""

from django.db import migrations

TABLES = ("funding_ledgertransaction", "funding_entry")

CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION funding_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger rows are append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE_FUNCTION, params=None)  # "%" is plpgsql format, not a placeholder
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION funding_ledger_append_only()"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS funding_ledger_append_only()")


class Migration(migrations.Migration):
    dependencies = [("funding", "0009_one_gift_per_payment")]

    operations = [migrations.RunPython(forwards, backwards)]
