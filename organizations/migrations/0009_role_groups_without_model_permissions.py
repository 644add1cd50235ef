from django.db import migrations

# Until #14 a post_migrate receiver gave these groups the organizations app's model
# permissions (Mentors the view_* ones). The admin now asks named permissions from
# organizations/rules.py (portal.core.admin_policy.RulePolicy), so they granted nothing
# but still showed, ticked, in Wagtail's group editor.
GROUPS = ["Administrators", "Programme officers", "Mentors"]


def drop_model_permissions(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(content_type__app_label="organizations")
    for group in Group.objects.filter(name__in=GROUPS):
        group.permissions.remove(*perms)


class Migration(migrations.Migration):
    dependencies = [
        ("organizations", "0008_organization_english"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(drop_model_permissions, migrations.RunPython.noop)]
