import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from organizations import incubation_services as services
from organizations import roles
from organizations.incubation_selectors import graduation_checklist
from organizations.models import (
    AssessmentDimension,
    CapacityAssessment,
    IncubationStage,
    Residency,
    ServiceLog,
    StageChange,
    TrainingAttendance,
    TrainingSession,
)
from tests.factories.organizations import (
    CohortFactory,
    MembershipFactory,
    ResidencyFactory,
    UserFactory,
)
from tests.factories.projects import ProjectFactory

from .conftest import EXE_BYTES, count_queries, pdf_upload


@pytest.fixture
def mentor(db):
    user = UserFactory(username="mentor1")
    user.groups.add(Group.objects.get(name=roles.MENTOR))
    return user


@pytest.fixture
def admitted(organization, staff_user, owner, mentor):
    residency = services.apply_to_cohort(
        cohort=CohortFactory(), organization=organization, by=owner, motivation="想要成长"
    )
    services.decide_residency(residency=residency, by=staff_user, admit=True)
    services.upload_agreement(residency=residency, by=owner, upload=pdf_upload("协议.pdf"))
    services.assign_mentor(residency=residency, mentor=mentor, by=staff_user)
    residency.refresh_from_db()
    return residency


def _stage(code):
    return IncubationStage.objects.get(code=code)


def _all_scores(value, evidence="有制度文件"):
    return {d.pk: (value, evidence) for d in AssessmentDimension.objects.filter(is_active=True)}


def test_default_stages_and_dimensions_are_seeded(db):
    assert list(IncubationStage.objects.values_list("name", flat=True)) == [
        "申请",
        "入驻",
        "培育",
        "出壳/毕业",
        "退出",
    ]
    assert list(AssessmentDimension.objects.values_list("name", flat=True)) == [
        "治理",
        "财务管理",
        "项目管理",
        "人力与志愿者",
        "筹资",
        "社会影响",
    ]


def test_apply_to_cohort_starts_history(organization, owner):
    residency = services.apply_to_cohort(
        cohort=CohortFactory(), organization=organization, by=owner, motivation="想要成长"
    )

    assert residency.status == "applied"
    assert list(residency.stage_changes.values_list("stage__code", flat=True)) == ["applied"]


def test_apply_twice_is_rejected(organization, owner):
    cohort = CohortFactory()
    services.apply_to_cohort(cohort=cohort, organization=organization, by=owner, motivation="a")

    with pytest.raises(ValidationError) as info:
        services.apply_to_cohort(cohort=cohort, organization=organization, by=owner, motivation="b")

    assert info.value.messages == ["彩虹桥青少年发展中心 has already applied to this cohort."]
    assert Residency.objects.count() == 1


def test_apply_unverified_organization_is_rejected(draft_organization, owner):
    with pytest.raises(ValidationError):
        services.apply_to_cohort(
            cohort=CohortFactory(), organization=draft_organization, by=owner, motivation="a"
        )

    assert Residency.objects.count() == 0


def test_apply_after_deadline_is_rejected(organization, owner):
    cohort = CohortFactory(applications_open_until=datetime.date(2026, 1, 1))

    with pytest.raises(ValidationError):
        services.apply_to_cohort(
            cohort=cohort,
            organization=organization,
            by=owner,
            motivation="a",
            today=datetime.date(2026, 1, 2),
        )


def test_apply_by_viewer_is_forbidden(organization):
    viewer = MembershipFactory(organization=organization, role="viewer").user

    with pytest.raises(PermissionDenied):
        services.apply_to_cohort(
            cohort=CohortFactory(), organization=organization, by=viewer, motivation="a"
        )


def test_admit_beyond_capacity_is_refused(staff_user):
    cohort = CohortFactory(capacity=1)
    first, second = ResidencyFactory(cohort=cohort), ResidencyFactory(cohort=cohort)
    services.decide_residency(residency=first, by=staff_user, admit=True)

    with pytest.raises(ValidationError) as info:
        services.decide_residency(residency=second, by=staff_user, admit=True)

    second.refresh_from_db()
    assert info.value.messages == ["The cohort is full (1 places)."]
    assert second.status == "applied"


def test_decline_needs_note(staff_user):
    residency = ResidencyFactory()

    with pytest.raises(ValidationError):
        services.decide_residency(residency=residency, by=staff_user, admit=False, note="")

    services.decide_residency(residency=residency, by=staff_user, admit=False, note="名额已满")
    residency.refresh_from_db()
    assert (residency.status, residency.decision_note) == ("declined", "名额已满")


def test_stage_move_requires_agreement(staff_user):
    residency = ResidencyFactory()
    services.decide_residency(residency=residency, by=staff_user, admit=True)

    with pytest.raises(ValidationError) as info:
        services.move_to_stage(residency=residency, stage=_stage("moved_in"), by=staff_user)

    assert info.value.messages == ["Upload the signed residency agreement first."]


def test_agreement_disguised_executable_rejected(staff_user, owner, organization):
    residency = ResidencyFactory(organization=organization)
    services.decide_residency(residency=residency, by=staff_user, admit=True)
    fake = SimpleUploadedFile("agreement.pdf", EXE_BYTES, content_type="application/pdf")

    with pytest.raises(ValidationError):
        services.upload_agreement(residency=residency, by=owner, upload=fake)

    residency.refresh_from_db()
    assert not residency.agreement


def test_stage_history_is_dated(admitted, staff_user):
    services.move_to_stage(
        residency=admitted,
        stage=_stage("moved_in"),
        by=staff_user,
        on_date=datetime.date(2026, 3, 2),
    )
    services.move_to_stage(
        residency=admitted,
        stage=_stage("nurturing"),
        by=staff_user,
        on_date=datetime.date(2026, 4, 1),
        note="进入重点扶持",
    )

    assert list(
        StageChange.objects.filter(residency=admitted)
        .order_by("pk")
        .values_list("stage__code", "note")
    ) == [("applied", ""), ("moved_in", ""), ("nurturing", "进入重点扶持")]


def test_graduation_blocked_until_checklist_passes(admitted, staff_user, mentor):
    services.record_assessment(
        residency=admitted, by=mentor, assessed_on=datetime.date(2026, 5, 1), scores=_all_scores(2)
    )

    with pytest.raises(ValidationError) as info:
        services.move_to_stage(residency=admitted, stage=_stage("graduated"), by=staff_user)

    assert "Not ready to graduate" in info.value.messages[0]
    admitted.refresh_from_db()
    assert admitted.status == "admitted"


def test_graduation_when_checklist_passes(admitted, staff_user, mentor):
    services.record_assessment(
        residency=admitted, by=mentor, assessed_on=datetime.date(2026, 9, 1), scores=_all_scores(4)
    )
    ProjectFactory(organization=admitted.organization, status="in_progress")

    services.move_to_stage(residency=admitted, stage=_stage("graduated"), by=staff_user)

    admitted.refresh_from_db()
    assert [item["passed"] for item in graduation_checklist(admitted)] == [True] * 4
    assert admitted.status == "graduated"


def test_exit_needs_reason(admitted, staff_user):
    with pytest.raises(ValidationError):
        services.move_to_stage(residency=admitted, stage=_stage("exited"), by=staff_user)

    services.move_to_stage(
        residency=admitted, stage=_stage("exited"), by=staff_user, note="团队解散"
    )
    admitted.refresh_from_db()
    assert admitted.status == "exited"


def test_assign_non_mentor_is_rejected(admitted, staff_user):
    with pytest.raises(ValidationError):
        services.assign_mentor(residency=admitted, mentor=UserFactory(), by=staff_user)


def test_log_service_by_mentor(admitted, mentor):
    services.log_service(
        residency=admitted,
        by=mentor,
        kind="consultation",
        provided_on=datetime.date(2026, 4, 2),
        hours=Decimal("1.5"),
    )

    assert list(ServiceLog.objects.values_list("kind", "hours")) == [
        ("consultation", Decimal("1.5"))
    ]


def test_log_service_by_other_mentor_is_forbidden(admitted):
    other = UserFactory(username="other-mentor")
    other.groups.add(Group.objects.get(name=roles.MENTOR))

    with pytest.raises(PermissionDenied):
        services.log_service(
            residency=admitted,
            by=other,
            kind="consultation",
            provided_on=datetime.date(2026, 4, 2),
            hours=Decimal(1),
        )


@pytest.mark.parametrize("hours", [Decimal(0), Decimal(25)])
def test_log_service_bad_hours_rejected(admitted, mentor, hours):
    with pytest.raises(ValidationError):
        services.log_service(
            residency=admitted,
            by=mentor,
            kind="venue",
            provided_on=datetime.date(2026, 4, 2),
            hours=hours,
        )

    assert ServiceLog.objects.count() == 0


def test_assessment_missing_evidence_saves_nothing(admitted, mentor):
    scores = _all_scores(3)
    first = next(iter(scores))
    scores[first] = (3, "")

    with pytest.raises(ValidationError) as info:
        services.record_assessment(
            residency=admitted, by=mentor, assessed_on=datetime.date(2026, 5, 1), scores=scores
        )

    assert list(info.value.message_dict) == [f"evidence_{first}"]
    assert CapacityAssessment.objects.count() == 0


def test_assessment_score_out_of_range_rejected(admitted, mentor):
    with pytest.raises(ValidationError):
        services.record_assessment(
            residency=admitted,
            by=mentor,
            assessed_on=datetime.date(2026, 5, 1),
            scores=_all_scores(6),
        )

    assert CapacityAssessment.objects.count() == 0


def test_edited_dimensions_apply_to_new_assessments(admitted, mentor):
    AssessmentDimension.objects.filter(code="fundraising").update(is_active=False)
    AssessmentDimension.objects.create(name="数字化", code="digital", sort_order=70)

    assessment = services.record_assessment(
        residency=admitted, by=mentor, assessed_on=datetime.date(2026, 5, 1), scores=_all_scores(3)
    )

    names = list(assessment.scores.values_list("dimension__name", flat=True))
    assert "数字化" in names and "筹资" not in names and len(names) == 6


def test_training_attendance_other_cohort_rejected(admitted):
    session = TrainingSession.objects.create(
        cohort=CohortFactory(), title="财务培训", held_on=datetime.date(2026, 4, 5)
    )
    attendance = TrainingAttendance(session=session, residency=admitted, attendee_name="王五")

    with pytest.raises(ValidationError):
        attendance.full_clean()


# --- pages -------------------------------------------------------------------------


def test_record_page_shows_trend_chart_and_checklist(client, admitted, mentor, owner):
    for day, value in ((datetime.date(2026, 4, 1), 2), (datetime.date(2026, 8, 1), 4)):
        services.record_assessment(
            residency=admitted, by=mentor, assessed_on=day, scores=_all_scores(value)
        )
    client.force_login(owner)

    content = client.get(f"/en/me/incubation/{admitted.pk}/").content.decode()

    assert "<svg" in content and "2026-04-01" in content and "2026-08-01" in content
    assert "At least one funded project" in content


@pytest.mark.parametrize(
    "who, status",
    [("owner", 200), ("viewer", 200), ("mentor", 200), ("staff", 200), ("stranger", 403)],
)
def test_record_page_permissions(client, admitted, owner, mentor, staff_user, who, status):
    user = {
        "owner": owner,
        "mentor": mentor,
        "staff": staff_user,
        "viewer": MembershipFactory(organization=admitted.organization, role="viewer").user,
        "stranger": UserFactory(username="stranger"),
    }[who]
    client.force_login(user)

    response = client.get(f"/en/me/incubation/{admitted.pk}/")

    assert response.status_code == status


def test_agreement_download_forbidden_to_stranger(client, admitted):
    client.force_login(UserFactory(username="stranger"))

    response = client.get(f"/en/me/incubation/{admitted.pk}/agreement/file/")

    assert response.status_code == 403


def test_member_cannot_log_services(client, admitted, owner):
    client.force_login(owner)

    response = client.post(
        f"/en/me/incubation/{admitted.pk}/services/",
        {"kind": "consultation", "provided_on": "2026-04-02", "hours": "1"},
    )

    assert response.status_code == 403
    assert ServiceLog.objects.count() == 0


def test_mentor_logs_service_through_page(client, admitted, mentor):
    client.force_login(mentor)

    response = client.post(
        f"/en/me/incubation/{admitted.pk}/services/",
        {
            "kind": "small_grant",
            "provided_on": "2026-04-02",
            "hours": "2",
            "grant_amount_yuan": "5000",
        },
    )

    assert response.status_code == 302
    assert ServiceLog.objects.get().grant_amount == 500000


def test_apply_page_creates_residency(client, organization, owner):
    cohort = CohortFactory()
    client.force_login(owner)

    response = client.post(
        f"/en/incubation/{cohort.slug}/",
        {"organization": organization.pk, "motivation": "希望得到导师支持"},
    )

    residency = Residency.objects.get()
    assert response["Location"] == f"/en/me/incubation/{residency.pk}/"


def test_apply_page_lists_only_editable_verified_orgs(client, organization, owner):
    cohort = CohortFactory()
    MembershipFactory(user=owner, role="viewer")
    MembershipFactory(user=owner, role="owner", organization__status="draft")
    client.force_login(owner)

    response = client.get(f"/en/incubation/{cohort.slug}/")

    assert list(response.context["form"].fields["organization"].queryset) == [organization]


def test_cohort_list_query_count_constant(client, db):
    CohortFactory()
    one, response_one = count_queries(client, "/en/incubation/")
    CohortFactory.create_batch(2)

    three, response_three = count_queries(client, "/en/incubation/")

    assert (len(response_one.context["cohorts"]), len(response_three.context["cohorts"])) == (1, 3)
    assert one == three


def test_admin_manage_admit_and_move_stage(client, staff_user, organization, owner):
    residency = ResidencyFactory(organization=organization)
    client.force_login(staff_user)

    client.post(f"/admin/residencies_admin/manage/{residency.pk}/", {"action": "admit"})
    services.upload_agreement(residency=residency, by=owner, upload=pdf_upload())
    client.post(
        f"/admin/residencies_admin/manage/{residency.pk}/",
        {"action": "stage", "stage": _stage("moved_in").pk, "on_date": "2026-03-05"},
    )

    residency.refresh_from_db()
    assert (residency.status, residency.stage.code) == ("admitted", "moved_in")


def test_admin_training_with_attendance(client, staff_user, admitted):
    client.force_login(staff_user)

    response = client.post(
        "/admin/trainings_admin/new/",
        {
            "cohort": admitted.cohort_id,
            "title": "筹资培训",
            "held_on": "2026-04-10",
            "hours": "3",
            "venue": "",
            "trainer": "",
            "attendances-TOTAL_FORMS": "1",
            "attendances-INITIAL_FORMS": "0",
            "attendances-MIN_NUM_FORMS": "0",
            "attendances-MAX_NUM_FORMS": "1000",
            "attendances-0-residency": admitted.pk,
            "attendances-0-attendee_name": "李四",
            "attendances-0-attended": "on",
            "attendances-0-ORDER": "1",
            "attendances-0-DELETE": "",
            "attendances-0-id": "",
        },
    )

    assert response.status_code == 302
    assert list(TrainingAttendance.objects.values_list("attendee_name", "residency")) == [
        ("李四", admitted.pk)
    ]


def test_cohort_list_chinese_and_english(client, db):
    CohortFactory(capacity=8)

    zh = client.get("/incubation/").content.decode()
    en = client.get("/en/incubation/").content.decode()

    assert "孵化计划" in zh and "8 个名额" in zh
    assert "Incubation programme" in en and "8 places" in en
