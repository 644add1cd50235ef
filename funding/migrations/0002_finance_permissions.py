from django.contrib.auth.management import create_permissions
from django.db import migrations

FINANCE = "Finance officers"
MODELS = ["sponsor", "matchpool", "matchingrule", "donation", "disbursement",
          "ledgertransaction", "expenditure", "receipt", "importbatch"]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; create ours now.
    config = apps.get_app_config("funding")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=FINANCE)
    perms = Permission.objects.filter(content_type__app_label="funding",
                                      content_type__model__in=MODELS)
    group.permissions.add(*perms)


class Migration(migrations.Migration):
    dependencies = [
        ("funding", "0001_initial"),
        ("organizations", "0002_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
