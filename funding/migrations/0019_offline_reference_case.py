# An offline gift's bank/receipt reference is one transfer whatever its letter case:
# stored upper case, unique on its upper-case form.

import django.db.models.functions.text
from django.db import migrations, models


def upper_case_references(apps, schema_editor):
    """Store existing offline references the way new ones are stored (strip + upper).
    Two counted gifts whose references differ only in case are one transfer recorded
    twice: the migration stops and names them, finance rejects one, then migrate again."""
    Donation = apps.get_model("funding", "Donation")
    rows = (
        Donation.objects.filter(source="offline")
        .exclude(external_id="")
        .exclude(status="rejected")
        .values_list("pk", "external_id")
    )
    seen: dict[str, int] = {}
    clashes = []
    for pk, ref in rows:
        key = ref.strip().upper()
        if key in seen:
            clashes.append(f"{key}: #{seen[key]} and #{pk}")
        seen.setdefault(key, pk)
    if clashes:
        raise RuntimeError(
            "Offline donations recorded twice with one reference in another letter case; "
            "reject one of each pair, then migrate again: " + "; ".join(clashes)
        )
    for pk, ref in Donation.objects.filter(source="offline").exclude(external_id="").values_list(
        "pk", "external_id"
    ):
        if ref != ref.strip().upper():
            Donation.objects.filter(pk=pk).update(external_id=ref.strip().upper())


class Migration(migrations.Migration):
    dependencies = [
        ("funding", "0018_finance_edits_offline_giving"),
    ]

    operations = [
        migrations.RunPython(upper_case_references, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="donation",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Upper("external_id"),
                condition=models.Q(
                    ("source", "offline"),
                    models.Q(("external_id", ""), _negated=True),
                    models.Q(("status", "rejected"), _negated=True),
                ),
                name="funding_don_offline_reference_unique",
            ),
        ),
    ]
