from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant_finance(apps, schema_editor):
    """Finance officers edit the offline-giving details (payee, bank, account, office hours)
    shown on every donate page; only administrators could before."""
    config = apps.get_app_config("funding")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Finance officers")
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="funding",
            content_type__model="offlinegivingsettings",
            codename="change_offlinegivingsettings",
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("funding", "0017_checkout_url_text"),
    ]

    operations = [migrations.RunPython(grant_finance, migrations.RunPython.noop)]
