"""Project final report: facts, objectives and indicators from the application, money,
budget against spending, empty sections said so; access; staleness."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from portal.core.reports import can_view_report, is_stale, render_report, store_report
from projects.review.models import Decision
from tests.factories.organizations import MembershipFactory, UserFactory
from tests.factories.projects import ProjectFactory
from tests.factories.review import ApplicationFactory, make_officer

from .conftest import pdf_text

pytestmark = pytest.mark.django_db

ANSWERS = {
    "objectives": {
        "goal": "让社区独居长者吃上热乎饭。",
        "objectives": "每周五天提供午餐\n培养二十名助餐志愿者",
    },
    "indicators": {
        "lines": [
            {"kind": "output", "name": "助餐人次", "target": "6000 人次", "method": "签到表"},
            {"kind": "outcome", "name": "长者满意度", "target": "90%", "method": "问卷"},
        ]
    },
    "budget": {
        "lines": [
            {
                "category": "activities",
                "item": "餐费",
                "unit": "份",
                "quantity": 100,
                "unit_price": 1500,
                "source": "requested",
            },
            {
                "category": "personnel",
                "item": "社工补贴",
                "unit": "月",
                "quantity": 10,
                "unit_price": 200000,
                "source": "self",
            },
        ]
    },
}


@pytest.fixture
def project(call):
    project = ProjectFactory(
        call=call,
        title="长者助餐服务项目",
        organization__name="乐龄社工中心",
        goal_amount=5_000_000,
    )
    application = ApplicationFactory(
        call=call, organization=project.organization, title=project.title, answers=ANSWERS
    )
    Decision.objects.create(
        application=application,
        call=call,
        rank=1,
        normalised=88,
        tier="funded_matched",
        project=project,
        published_at=timezone.now(),
    )
    return project


def _spend(project, line, amount):
    from funding.models import Expenditure

    return Expenditure.objects.create(
        project=project,
        budget_line=line,
        amount=amount,
        spent_on=datetime.date(2026, 5, 1),
        recorded_by=UserFactory(),
    )


def test_project_report_zh_objectives_indicators_budget_and_missing_parts(project):
    _spend(project, "餐费", 200_000)

    text = pdf_text(render_report("project", project.pk, "zh-hans"))

    for expected in (
        "长者助餐服务项目",
        "乐龄社工中心",
        "让社区独居长者吃上热乎饭。",
        "培养二十名助餐志愿者",
        "助餐人次",
        "6000 人次",
        "长者满意度",
        "餐费",
        "社工补贴",
        "¥2,000.00",
        "33%",
        "暂无评估。",
        "尚无居民评价。",
    ):
        assert expected in text, expected


def test_project_report_en_without_application_or_money_says_so(call):
    project = ProjectFactory(call=call, title="Standalone project")

    text = pdf_text(render_report("project", project.pk, "en"))

    for expected in (
        "Standalone project",
        "No objectives recorded",
        "No milestones recorded yet.",
        "No indicators recorded.",
        "No money raised, matched, disbursed or spent yet.",
        "No budget and no expenditures recorded yet.",
        "No evaluation yet.",
        "No feedback from residents yet.",
    ):
        assert expected in text, expected


def test_project_access_members_only(project):
    member = UserFactory(username="p-member")
    MembershipFactory(organization=project.organization, user=member)
    other = UserFactory(username="p-other")

    assert can_view_report(make_officer(username="p-off"), "project", project)
    assert can_view_report(member, "project", project)
    assert not can_view_report(other, "project", project)
    assert not can_view_report(AnonymousUser(), "project", project)


def test_new_expenditure_makes_project_report_stale(project):
    store_report("project", project.pk, "en")
    assert not is_stale("project", project.pk, "en")

    _spend(project, "餐费", 1_000)

    assert is_stale("project", project.pk, "en")


@pytest.fixture
def evaluated(project):
    from decimal import Decimal

    from projects.evaluation.models import (
        Assessment,
        Dimension,
        DimensionScore,
        Evaluation,
        EvaluationRubric,
        ResidentFeedback,
    )

    rubric = EvaluationRubric.objects.create(
        code="rpt-eval", name="末期评估指标", name_en="Final evaluation rubric"
    )
    dims = [
        Dimension.objects.create(rubric=rubric, name=n, name_en=en, max_score=m, sort_order=i)
        for i, (n, en, m) in enumerate(
            [
                ("项目管理", "Project management", 25),
                ("财务管理", "Financial management", 20),
                ("项目成效", "Outcomes", 35),
                ("社会影响与可持续", "Social impact", 20),
            ]
        )
    ]
    evaluation = Evaluation.objects.create(
        project=project,
        kind="final",
        rubric=rubric,
        status="published",
        score=Decimal("86.5"),
        grade="good",
        conclusion="项目达成预期目标，居民评价良好。",
        published_at=timezone.now(),
    )
    sheet = Assessment.objects.create(
        evaluation=evaluation,
        evaluator=UserFactory(),
        status="submitted",
        total=Decimal("86.5"),
        grade="good",
        submitted_at=timezone.now(),
    )
    for dim, value in zip(dims, (22, 17, 30, 17.5), strict=True):
        DimensionScore.objects.create(assessment=sheet, dimension=dim, value=Decimal(value))
    ResidentFeedback.objects.create(
        project=project,
        user=UserFactory(),
        rating=5,
        comment="午餐很可口，志愿者很热情。",
        status="published",
    )
    ResidentFeedback.objects.create(
        project=project, user=UserFactory(), rating=2, comment="待审核的评论", status="pending"
    )
    return evaluation


def test_project_report_shows_evaluation_grade_dimensions_and_feedback(evaluated, project):
    zh = pdf_text(render_report("project", project.pk, "zh-hans"))
    en = pdf_text(render_report("project", project.pk, "en"))

    for expected in (
        "86.5",
        "项目管理",
        "社会影响与可持续",
        "项目达成预期目标，居民评价良好。",
        "午餐很可口，志愿者很热情。",
        "5 / 5",
    ):
        assert expected in zh, expected
    assert "待审核的评论" not in zh
    assert "暂无评估。" not in zh
    for expected in (
        "Final evaluation",
        "Good",
        "Project management",
        "Social impact",
        "rated the project",
    ):
        assert expected in en, expected


def test_evaluation_change_makes_project_report_stale(evaluated, project):
    from projects.evaluation.models import ResidentFeedback

    store_report("project", project.pk, "zh-hans")
    assert not is_stale("project", project.pk, "zh-hans")

    ResidentFeedback.objects.filter(status="pending").update(status="published")

    assert is_stale("project", project.pk, "zh-hans")


def test_project_report_reads_delivery_milestones_actuals_and_explanations(project):
    from decimal import Decimal

    from projects.delivery.models import (
        Delivery,
        IndicatorActual,
        Milestone,
        ProgressReport,
        VarianceExplanation,
    )

    author = UserFactory(username="d-author")
    # The delivery app may already have started a record for the approved project.
    delivery = Delivery.objects.update_or_create(
        project=project,
        defaults={
            "stage": "in_progress",
            "budget_lines": [
                {"line": "餐费", "category": "activities", "source": "requested", "amount": 150_000}
            ],
            "indicators": [{"kind": "output", "name": "助餐人次", "target": "6000"}],
        },
    )[0]
    Milestone.objects.create(
        delivery=delivery,
        title="助餐点开业",
        due_on=datetime.date(2026, 4, 1),
        deliverables="开业照片",
        status="completed",
        completed_on=datetime.date(2026, 3, 28),
    )
    Milestone.objects.create(
        delivery=delivery,
        title="已取消的里程碑",
        due_on=datetime.date(2026, 5, 1),
        deliverables="-",
        status="cancelled",
    )
    report = ProgressReport.objects.create(
        delivery=delivery,
        period_end=datetime.date(2026, 6, 30),
        narrative="进展顺利",
        beneficiaries_reached=300,
        status="accepted",
        submitted_by=author,
        submitted_at=timezone.now(),
    )
    IndicatorActual.objects.create(
        report=report, name="助餐人次", target="6000", actual=Decimal("4321")
    )
    VarianceExplanation.objects.create(
        delivery=delivery,
        budget_line="餐费",
        explanation="食材涨价，经理事会同意调整。",
        written_by=author,
    )
    _spend(project, "餐费", 200_000)
    store_report("project", project.pk, "zh-hans")

    text = pdf_text(render_report("project", project.pk, "zh-hans"))

    for expected in (
        "助餐点开业",
        "2026-03-28",
        "4321",
        "食材涨价，经理事会同意调整。",
        "33%",
        "执行阶段",
    ):
        assert expected in text, expected
    assert "已取消的里程碑" not in text
    assert "尚无里程碑记录。" not in text
    Milestone.objects.filter(title="助餐点开业").update(title="助餐点正式开业")
    assert is_stale("project", project.pk, "zh-hans")
