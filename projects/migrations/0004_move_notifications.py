"""Notifications move to ``portal.core.notifications`` (app label ``notifications``), so
every app, organizations included, can send them through one dispatcher.

The rows are copied with their ids into the new table (written in the site's language,
as they were, and marked as already e-mailed), the database's id sequence is moved past
them, and the old table is dropped. Reversible: the reverse copies the rows back.
"""

from django.conf import settings
from django.core.management.color import no_style
from django.db import migrations

BATCH = 2000


def _copy(source, target, schema_editor, extra):
    alias = schema_editor.connection.alias
    rows = source.objects.using(alias).order_by("pk").iterator(chunk_size=BATCH)
    batch = []
    for row in rows:
        if row.user_id is None:
            continue
        batch.append(
            target(
                pk=row.pk,
                user_id=row.user_id,
                title=row.title,
                body=row.body,
                url=row.url,
                created_at=row.created_at,
                read_at=row.read_at,
                **extra(row),
            )
        )
        if len(batch) == BATCH:
            target.objects.using(alias).bulk_create(batch)
            batch = []
    target.objects.using(alias).bulk_create(batch)
    statements = schema_editor.connection.ops.sequence_reset_sql(no_style(), [target])
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def forwards(apps, schema_editor):
    _copy(
        apps.get_model("projects", "Notification"),
        apps.get_model("notifications", "Notification"),
        schema_editor,
        lambda row: {"language": settings.LANGUAGE_CODE, "emailed_at": row.created_at},
    )


def backwards(apps, schema_editor):
    new = apps.get_model("notifications", "Notification")
    _copy(new, apps.get_model("projects", "Notification"), schema_editor, lambda row: {})
    # Moved back: migrating forwards again copies them anew.
    new.objects.using(schema_editor.connection.alias).all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0003_project_directory_indexes"),
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
        migrations.DeleteModel(name="Notification"),
    ]
