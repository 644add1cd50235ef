"""Backfill ProjectBalance from the existing ledger entries and expenditures.

Same definitions as ``funding.enums`` RAISED_KINDS / MATCH_KINDS / DISBURSED_KINDS (copied
here: migrations must not import code that may change later).
"""

from collections import defaultdict

from django.db import migrations
from django.db.models import Sum
from django.utils import timezone

FIELD_OF_KIND = {
    "donation": ("raised", 1),
    "donation_reversal": ("raised", 1),
    "match_confirm": ("matched", 1),
    "match_reversal": ("matched", 1),
    "settlement": ("matched", 1),
    "disbursement": ("disbursed", -1),
}
FIELDS = ("raised", "matched", "disbursed", "spent")


def backfill(apps, schema_editor):
    Entry = apps.get_model("funding", "Entry")
    Expenditure = apps.get_model("funding", "Expenditure")
    ProjectBalance = apps.get_model("funding", "ProjectBalance")
    Project = apps.get_model("projects", "Project")
    totals = defaultdict(lambda: dict.fromkeys(FIELDS, 0))
    rows = (
        Entry.objects.filter(account__kind="project", account__project__isnull=False,
                             transaction__kind__in=list(FIELD_OF_KIND))
        .values_list("account__project_id", "transaction__kind")
        .annotate(t=Sum("amount")).order_by()
    )
    for project_id, kind, total in rows:
        name, sign = FIELD_OF_KIND[kind]
        totals[project_id][name] += sign * int(total or 0)
    for project_id, total in (Expenditure.objects.values_list("project_id")
                              .annotate(t=Sum("amount")).order_by()):
        totals[project_id]["spent"] += int(total or 0)
    if not totals:
        return
    currency = dict(Project.objects.filter(pk__in=list(totals)).values_list("pk", "currency"))
    now = timezone.now()
    ProjectBalance.objects.all().delete()
    ProjectBalance.objects.bulk_create(
        [ProjectBalance(project_id=pid, currency=currency.get(pid, "CNY"), updated_at=now,
                        **values) for pid, values in sorted(totals.items())],
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [("funding", "0003_project_balance")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
