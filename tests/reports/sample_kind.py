"""A ``sample`` report kind for the report layer's tests and the PDF benchmark.

It needs no database: the id (1..9999) seeds deterministic content. It shows every
building block of the layer (cover, figures, tables, charts, sanitised rich text, empty
states). It is not shipped with the site: ``sample_report_kind()`` registers it (and its
template directory, ``tests/reports/templates``) for as long as it is needed.
"""

import copy
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.test.utils import override_settings
from django.utils.translation import gettext_lazy as _

from portal.core.reports import register_report, unregister_report

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"

SAMPLE_MAX_ID = 9999

_ZH_SENTENCES = (
    "项目以社区需求为导向，通过入户走访和居民议事会收集了长者照护、儿童托管和邻里互助三类需求。",
    "执行团队按月召开例会，对照项目书中的进度表检查里程碑完成情况，并及时调整活动安排。",
    "财务管理方面，项目设立专账核算，每笔支出均附有发票和签收单，预算执行率为百分之九十二。",
    "志愿者队伍由最初的十二人发展到四十五人，其中骨干志愿者八人已能独立组织小组活动。",
    "居民满意度调查显示，参与者对服务的及时性和工作人员的专业态度评价较高。",
    "项目在社区内形成了可复制的互助模式，街道已表示将在下一年度继续支持并推广到相邻社区。",
    "评估组查阅了活动记录、签到表、照片和财务凭证，并与受益人、社区工作者进行了访谈。",
    "针对中期评估提出的问题，机构补充了风险预案，完善了志愿者培训和激励制度。",
)
_EN_SENTENCES = (
    "The project started from community needs collected through home visits and residents' "
    "councils: elderly care, after-school childcare and neighbourhood mutual aid.",
    "The delivery team met monthly, checked milestones against the plan in the proposal and "
    "adjusted the activity schedule when needed.",
    "Finances were kept in a separate ledger; every expense carries an invoice and a signed "
    "receipt, and budget execution reached ninety-two per cent.",
    "The volunteer team grew from twelve to forty-five people, eight of whom now run group "
    "activities on their own.",
    "The residents' satisfaction survey rated the timeliness of services and the "
    "professional attitude of the staff highly.",
    "The project built a mutual-aid model that can be repeated; the sub-district office will "
    "fund it again next year and extend it to neighbouring communities.",
    "Evaluators read activity records, attendance sheets, photographs and financial "
    "vouchers, and interviewed beneficiaries and community workers.",
    "In response to the mid-term findings the organization added a risk plan and improved "
    "volunteer training and recognition.",
)
_DIMENSIONS = {
    "zh-hans": ("项目管理", "财务管理", "项目成效", "社会影响与可持续"),
    "en": ("Project management", "Financial management", "Outcomes",
           "Social impact and sustainability"),
}  # fmt: skip
_DIMENSION_MAX = (25, 20, 35, 20)
_ACTIVITIES = {
    "zh-hans": ("长者健康讲座", "四点半课堂", "邻里互助小组", "志愿者培训", "社区议事会",
                "入户探访", "亲子阅读", "便民维修日"),
    "en": ("Health talk for elders", "After-school class", "Mutual-aid group",
           "Volunteer training", "Residents' council", "Home visit", "Family reading",
           "Repair day"),
}  # fmt: skip


@dataclass(frozen=True)
class SampleReport:
    """Stand-in object for the ``sample`` kind (no database row)."""

    pk: int


def get_sample(obj_id: int) -> SampleReport:
    if not 1 <= int(obj_id) <= SAMPLE_MAX_ID:
        raise ObjectDoesNotExist(f"sample ids are 1..{SAMPLE_MAX_ID}")
    return SampleReport(int(obj_id))


def sample_context(
    obj_id: int,
    language: str,
    *,
    rows: int = 40,
    paragraphs: int = 6,
    cover: bool = True,
    charts: bool = True,
) -> dict:
    """Deterministic content for the sample report (an evaluation-style document)."""

    from portal.core import charts as chart_lib
    from portal.core.pdf import sanitize_html

    get_sample(obj_id)
    rng = random.Random(obj_id)  # noqa: S311 - demo content, not security
    zh = language == "zh-hans"
    sentences = _ZH_SENTENCES if zh else _EN_SENTENCES
    activities = _ACTIVITIES[language]
    dimensions = _DIMENSIONS[language]
    scores = [round(m * rng.uniform(0.62, 0.97), 1) for m in _DIMENSION_MAX]
    total = round(sum(scores), 1)
    grade = (
        ("优" if total >= 90 else "良" if total >= 80 else "中" if total >= 60 else "差")
        if zh
        else (
            "Excellent"
            if total >= 90
            else "Good"
            if total >= 80
            else "Fair"
            if total >= 60
            else "Poor"
        )
    )
    narrative = [
        " ".join(rng.sample(sentences, 4)) if not zh else "".join(rng.sample(sentences, 4))
        for _ in range(paragraphs)
    ]
    table_rows = [
        {
            "no": i + 1,
            "date": f"2026-{(i % 12) + 1:02d}-{(i % 27) + 1:02d}",
            "activity": activities[i % len(activities)],
            "note": sentences[i % len(sentences)],
            "people": 10 + (i * 7) % 60,
        }
        for i in range(rows)
    ]
    rich = (
        "<p><strong>{}</strong> {}</p><script>alert(1)</script>"
        '<img src="http://example.invalid/tracker.png"><ul><li>{}</li><li>{}</li></ul>'
    ).format(*(rng.choice(sentences) for _ in range(4)))
    title = (f"社区互助项目末期评估报告（示例 {obj_id}）" if zh
             else f"Community Mutual-Aid Project: Final Evaluation (sample {obj_id})")  # fmt: skip
    context = {
        "title": title,
        "subtitle": "公益创投资助项目 · 末期评估"
        if zh
        else "Venture philanthropy grant · final evaluation",
        "cover": cover,
        "reference": f"SAMPLE-{obj_id:04d}",
        "cover_facts": [
            (
                _("Organization"),
                "幸福里社区互助中心" if zh else "Xingfuli Community Mutual-Aid Centre",
            ),
            (_("Score"), f"{total} / 100"),
            (_("Grade"), grade),
        ],
        "dimensions": list(zip(dimensions, scores, _DIMENSION_MAX, strict=True)),
        "total": total,
        "grade": grade,
        "narrative": narrative,
        "rich_text": sanitize_html(rich),
        "rows": table_rows,
        "people_total": sum(r["people"] for r in table_rows),
        "feedback": [],
    }
    if charts:
        context["radar"] = chart_lib.radar_chart(
            title=str(_("Score by dimension as a share of its maximum")),
            dimensions=dimensions,
            series={
                str(_("Score")): [
                    round(s / m * 100, 1) for s, m in zip(scores, _DIMENSION_MAX, strict=True)
                ]
            },
        )
        context["bar"] = chart_lib.bar_chart(
            title=str(_("Participants by activity")),
            labels=activities[:6],
            series=[
                sum(r["people"] for r in table_rows if r["activity"] == a) for a in activities[:6]
            ],
        )
        context["line"] = chart_lib.line_chart(
            title=str(_("Participants per month")),
            x_labels=[f"{m}" for m in range(1, 13)],
            series=[
                sum(r["people"] for r in table_rows if int(r["date"][5:7]) == m)
                for m in range(1, 13)
            ],
        )
    return context


def build_sample(obj_id: int, language: str) -> tuple[str, dict]:
    return "pdf/sample.html", sample_context(obj_id, language)


@contextmanager
def sample_templates() -> Iterator[None]:
    """Make ``pdf/sample.html`` findable (the site's template dirs do not hold it)."""
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [*templates[0]["DIRS"], TEMPLATE_DIR]
    with override_settings(TEMPLATES=templates):
        yield


@contextmanager
def sample_report_kind(name: str = "sample", build=build_sample) -> Iterator[None]:
    """Register the sample kind (downloadable by programme staff) while in the block."""
    with sample_templates():
        register_report(
            name,
            label="Sample report",
            build=build,
            get_object=get_sample,
            permission="organizations.manage_programme",
            fingerprint=lambda obj_id: f"{name}-{obj_id}-v1",
            replace=True,
        )
        try:
            yield
        finally:
            unregister_report(name)
