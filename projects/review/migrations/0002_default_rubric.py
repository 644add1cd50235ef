"""The default rubric (评分细则) every deployment starts with; staff may version it."""

from decimal import Decimal

from django.db import migrations

CRITERIA = [
    ("需求分析", "Needs analysis: evidence that residents need this service.", 20, False),
    ("项目设计", "Project design: objectives, activities and indicators fit the need.", 25, True),
    ("可行性与团队", "Feasibility and team: capacity and experience to deliver.", 20, False),
    ("预算合理性", "Budget: costs are reasonable and justified.", 15, False),
    ("创新性", "Innovation: new approaches or resident participation.", 10, False),
    ("可持续性", "Sustainability: what remains after the funding ends.", 10, False),
]


def create(apps, schema_editor):
    Rubric = apps.get_model("review", "Rubric")
    Criterion = apps.get_model("review", "Criterion")
    rubric, created = Rubric.objects.get_or_create(
        code="default", version=1,
        defaults={"name": "公益创投项目评审细则",
                  "description": "每项 0–10 分（步长 0.5），按权重折算为百分制。"})
    if not created:
        return
    for order, (name, description, weight, key) in enumerate(CRITERIA):
        Criterion.objects.create(
            rubric=rubric, name=name, description=description, weight=weight,
            scale_min=Decimal(0), scale_max=Decimal(10), scale_step=Decimal("0.5"),
            labels={"0": "差", "5": "中", "10": "优"}, required=True, independent=False,
            is_key=key, sort_order=order)


class Migration(migrations.Migration):
    dependencies = [("review", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
