"""docs/security.md's roles → permissions table is generated from the rules registry."""

from portal.management.commands.permissions_table import (
    doc_path,
    documented_table,
    generate_table,
    permission_names,
)


def test_security_doc_table_matches_the_rules():
    documented = documented_table(doc_path().read_text(encoding="utf-8"))

    assert documented == generate_table()


def test_table_lists_every_named_permission_of_the_apps():
    table = generate_table()

    assert "`funding.view_receipt`" in table
    assert [name for name in permission_names() if f"`{name}`" not in table] == []
