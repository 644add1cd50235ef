from django.db import migrations

STAGES = [
    # code, name, name_en, sort order, kind
    ("applied", "申请", "Application", 10, "ongoing"),
    ("moved_in", "入驻", "Move-in", 20, "ongoing"),
    ("nurturing", "培育", "Nurturing", 30, "ongoing"),
    ("graduated", "出壳/毕业", "Graduation", 40, "graduation"),
    ("exited", "退出", "Exit", 50, "exit"),
]
DIMENSIONS = [
    ("governance", "治理", "Governance", 10),
    ("finance", "财务管理", "Financial management", 20),
    ("project_management", "项目管理", "Project management", 30),
    ("people", "人力与志愿者", "Staff and volunteers", 40),
    ("fundraising", "筹资", "Fundraising", 50),
    ("social_impact", "社会影响", "Social impact", 60),
]


def create_defaults(apps, schema_editor):
    Stage = apps.get_model("organizations", "IncubationStage")
    Dimension = apps.get_model("organizations", "AssessmentDimension")
    for code, name, name_en, order, kind in STAGES:
        Stage.objects.get_or_create(code=code, defaults={
            "name": name, "name_en": name_en, "sort_order": order, "kind": kind})
    for code, name, name_en, order in DIMENSIONS:
        Dimension.objects.get_or_create(code=code, defaults={
            "name": name, "name_en": name_en, "sort_order": order})


class Migration(migrations.Migration):
    dependencies = [("organizations", "0005_incubation")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
