"""The default evaluation rubric (评估指标体系) every deployment starts with; staff may version
it. 项目管理 25 · 财务管理 20 · 项目成效 35 · 社会影响与可持续 20 = 100, bonus up to +5 and
penalties up to −10 in total."""

from decimal import Decimal

from django.db import migrations

DIMENSIONS = [
    ("项目管理", "Project management", 25,
     "计划执行、进度管理、档案与台账、团队与志愿者管理。"),
    ("财务管理", "Financial management", 20,
     "预算执行、支出凭证、专款专用、财务公开。"),
    ("项目成效", "Project outcomes", 35,
     "产出与成效指标完成情况、服务对象受益与满意度。"),
    ("社会影响与可持续", "Social impact and sustainability", 20,
     "居民参与、资源链接、品牌传播与项目的可持续性。"),
]
ITEMS = [
    ("bonus", "获得市级以上表彰或媒体正面报道", "City-level award or positive media coverage", 3),
    ("bonus", "撬动社会资金或资源超过预期", "Raised more funds or resources than planned", 2),
    ("bonus", "服务模式被推广复制", "Service model adopted elsewhere", 2),
    ("penalty", "未按时提交进度报告或资料", "Late progress reports or documents", 3),
    ("penalty", "财务违规或支出与预算严重不符", "Financial irregularity or spending far off budget", 5),
    ("penalty", "发生安全责任事故或有效投诉", "Safety incident or upheld complaint", 5),
]


def create(apps, schema_editor):
    Rubric = apps.get_model("evaluation", "EvaluationRubric")
    Dimension = apps.get_model("evaluation", "Dimension")
    Item = apps.get_model("evaluation", "AdjustmentItem")
    rubric, created = Rubric.objects.get_or_create(
        code="default", version=1,
        defaults={"name": "公益创投项目评估指标体系",
                  "name_en": "Charity project evaluation rubric",
                  "description": "满分 100 分；加分合计不超过 5 分，扣分合计不超过 10 分。",
                  "bonus_cap": Decimal(5), "penalty_cap": Decimal(10)})
    if not created:
        return
    for order, (name, name_en, maximum, description) in enumerate(DIMENSIONS):
        Dimension.objects.create(rubric=rubric, name=name, name_en=name_en,
                                 description=description, max_score=Decimal(maximum),
                                 sort_order=order)
    for order, (kind, name, name_en, points) in enumerate(ITEMS):
        Item.objects.create(rubric=rubric, kind=kind, name=name, name_en=name_en,
                            max_points=Decimal(points), sort_order=order)


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
