"""Incubation record: stages, services, trainings, capacity radar and trend; access."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser

from organizations.models import (
    AssessmentDimension,
    AssessmentScore,
    CapacityAssessment,
    IncubationStage,
    ServiceLog,
    StageChange,
    TrainingAttendance,
    TrainingSession,
)
from portal.core.reports import can_view_report, is_stale, render_report, store_report
from tests.factories.organizations import MembershipFactory, ResidencyFactory, UserFactory
from tests.factories.review import make_officer

from .conftest import pdf_text

pytestmark = pytest.mark.django_db


def _dimension(code, name, name_en, order):
    return AssessmentDimension.objects.update_or_create(
        code=code, defaults={"name": name, "name_en": name_en, "sort_order": order}
    )[0]


@pytest.fixture
def residency():
    mentor = UserFactory(username="mentor-m", first_name="导师", last_name="李")
    residency = ResidencyFactory(
        status="admitted", mentor=mentor, organization__name="幸福里邻里互助社"
    )
    stage = IncubationStage.objects.update_or_create(
        code="rpt-seed", defaults={"name": "萌芽期", "name_en": "Seedling", "sort_order": 1}
    )[0]
    stage2 = IncubationStage.objects.update_or_create(
        code="rpt-start", defaults={"name": "初创期", "name_en": "Start-up", "sort_order": 2}
    )[0]
    StageChange.objects.create(
        residency=residency, stage=stage, changed_on=datetime.date(2026, 3, 5), note="签订入驻协议"
    )
    StageChange.objects.create(
        residency=residency, stage=stage2, changed_on=datetime.date(2026, 6, 1)
    )
    residency.stage = stage2
    residency.save()
    ServiceLog.objects.create(
        residency=residency,
        kind="consultation",
        provided_on=datetime.date(2026, 4, 2),
        hours=Decimal("2.5"),
        description="财务制度辅导",
    )
    ServiceLog.objects.create(
        residency=residency,
        kind="small_grant",
        provided_on=datetime.date(2026, 5, 2),
        hours=Decimal(1),
        grant_amount=500_000,
    )
    session = TrainingSession.objects.create(
        cohort=residency.cohort,
        title="项目设计工作坊",
        held_on=datetime.date(2026, 4, 20),
        hours=Decimal(3),
    )
    TrainingAttendance.objects.create(session=session, residency=residency, attendee_name="王小明")
    dims = [
        _dimension(f"rpt{i}", name, en, i)
        for i, (name, en) in enumerate(
            [
                ("治理结构", "Governance"),
                ("财务管理", "Finance"),
                ("项目管理", "Projects"),
                ("资源动员", "Fundraising"),
            ]
        )
    ]
    for day, base in ((datetime.date(2026, 3, 10), 2), (datetime.date(2026, 9, 10), 4)):
        assessment = CapacityAssessment.objects.create(
            residency=residency, assessed_on=day, summary="能力稳步提升"
        )
        for i, dim in enumerate(dims):
            AssessmentScore.objects.create(
                assessment=assessment,
                dimension=dim,
                score=min(5, base + i % 2),
                evidence="访谈与资料",
            )
    return residency


def test_incubation_record_zh_has_stages_services_trainings_and_charts(residency):
    text = pdf_text(render_report("incubation", residency.pk, "zh-hans"))

    for expected in (
        "幸福里邻里互助社",
        "萌芽期",
        "初创期",
        "2026-03-05",
        "签订入驻协议",
        "财务制度辅导",
        "¥5,000.00",
        "项目设计工作坊",
        "王小明",
        "治理结构",
        "资源动员",
        "2026-09-10",
        "能力稳步提升",
        "孵化档案",
    ):
        assert expected in text, expected


def test_incubation_record_en(residency):
    text = pdf_text(render_report("incubation", residency.pk, "en"))

    for expected in (
        "Stages",
        "Services received",
        "Trainings attended",
        "Capacity assessment",
        "Trend",
        "Seedling",
        "Governance",
    ):
        assert expected in text, expected


def test_incubation_record_without_data_says_so():
    residency = ResidencyFactory(status="applied")

    text = pdf_text(render_report("incubation", residency.pk, "en"))

    for expected in (
        "No stage recorded yet.",
        "No services recorded yet.",
        "No training attended yet.",
        "No assessment yet.",
    ):
        assert expected in text, expected


def test_incubation_access_members_and_mentor(residency):
    member = UserFactory(username="m-inc")
    MembershipFactory(organization=residency.organization, user=member)
    other = UserFactory(username="o-inc")
    MembershipFactory(user=other)

    assert can_view_report(make_officer(username="off-inc"), "incubation", residency)
    assert can_view_report(member, "incubation", residency)
    assert can_view_report(residency.mentor, "incubation", residency)
    assert not can_view_report(other, "incubation", residency)
    assert not can_view_report(AnonymousUser(), "incubation", residency)


def test_new_assessment_score_makes_incubation_record_stale(residency):
    store_report("incubation", residency.pk, "en")
    assert not is_stale("incubation", residency.pk, "en")

    score = AssessmentScore.objects.filter(assessment__residency=residency).first()
    AssessmentScore.objects.filter(pk=score.pk).update(score=1)

    assert is_stale("incubation", residency.pk, "en")
