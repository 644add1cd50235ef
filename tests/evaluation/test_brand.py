"""Brand projects (品牌项目推广复制): staff mark projects with an 优 final evaluation, the
public showcase lists them, organizations start drafts from their design, credited."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from projects.enums import ApplicationStatus, ProjectStatus, ProjectTier
from projects.evaluation import brand
from projects.evaluation.enums import EvaluationKind, EvaluationStatus, Grade
from projects.evaluation.models import Evaluation
from projects.models import Application
from projects.review.models import Decision
from tests.factories.organizations import MembershipFactory, OrganizationFactory, UserFactory
from tests.factories.projects import ProjectFactory, make_call
from tests.factories.review import ApplicationFactory

DESIGN = {
    "basic": {"title": "长者饭堂", "summary": "原项目摘要"},
    "objectives": {"goal": "让独居长者吃上热饭", "objectives": "每周五天供餐\n每季度回访"},
    "activities": {
        "lines": [
            {"name": "入户调研", "start": "2025-03-01", "end": "2025-03-31", "description": "名册"}
        ]
    },
    "budget": {
        "lines": [
            {
                "category": "personnel",
                "item": "社工",
                "unit": "月",
                "quantity": 12,
                "unit_price": 500000,
                "source": "requested",
            }
        ]
    },
    "indicators": {
        "lines": [{"kind": "output", "name": "服务人次", "target": "2400", "method": "台账"}]
    },
    "team": {"lines": [{"name": "张三", "role": "督导", "experience": ""}]},
}


def _final(project, rubric, grade=Grade.EXCELLENT, score="95", status=EvaluationStatus.PUBLISHED):
    return Evaluation.objects.create(
        project=project,
        kind=EvaluationKind.FINAL,
        rubric=rubric,
        status=status,
        score=Decimal(score),
        grade=grade,
        published_at=timezone.now(),
    )


@pytest.fixture
def excellent(db, rubric, site_pages):
    """A completed project whose approved application holds a full design, with a
    published final evaluation graded 优."""
    call = make_call(title="2025年为老服务征集")
    application = ApplicationFactory(call=call, answers=DESIGN)
    project = ProjectFactory(
        organization=application.organization,
        title="长者饭堂暖心计划",
        title_en="Warm canteen for elders",
        status=ProjectStatus.COMPLETED,
        tier=ProjectTier.FUNDED_MATCHED,
    )
    Decision.objects.create(
        application=application,
        call=call,
        rank=1,
        normalised=1,
        tier=ProjectTier.FUNDED_MATCHED,
        project=project,
        published_at=timezone.now(),
    )
    _final(project, rubric)
    return project


@pytest.fixture
def applicant(db):
    user = UserFactory(username="brand-applicant")
    MembershipFactory(user=user, organization=OrganizationFactory(name="南山区新苗社工中心"))
    return user


def _mark(project, officer):
    return brand.mark_brand_project(
        project=project,
        method="社工统筹、志愿者送餐。",
        method_en="Volunteers deliver.",
        by=officer,
    )


@pytest.mark.django_db
def test_staff_mark_an_excellent_project_and_the_showcase_lists_it(client, excellent, officer):
    _mark(excellent, officer)

    html = client.get("/brand-projects/").content.decode()
    assert "长者饭堂暖心计划" in html
    assert "社工统筹、志愿者送餐。" in html
    assert "95 / 100" in html
    assert "优" in html
    assert excellent.get_absolute_url() in html
    detail = client.get(excellent.get_absolute_url()).content.decode()
    assert 'id="brand-heading"' in detail
    assert "/brand-projects/" in client.get("/").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("grade", "status", "reason"),
    [
        (Grade.GOOD, EvaluationStatus.PUBLISHED, "final grade is Good (良)"),
        (Grade.EXCELLENT, EvaluationStatus.FINALISED, "no published final evaluation"),
        (None, None, "no published final evaluation"),
    ],
)
def test_marking_refused_without_a_published_excellent_final_evaluation(
    english, officer, rubric, grade, status, reason
):
    project = ProjectFactory(status=ProjectStatus.COMPLETED)
    if grade is not None:
        _final(project, rubric, grade=grade, score="85", status=status)

    with pytest.raises(brand.BrandError) as error:
        _mark(project, officer)

    assert reason in error.value.messages[0]
    project.refresh_from_db()
    assert project.brand_marked_at is None


@pytest.mark.django_db
def test_marking_needs_programme_staff(excellent, applicant):
    with pytest.raises(PermissionDenied):
        _mark(excellent, applicant)


@pytest.mark.django_db
def test_admin_form_marks_and_shows_the_refusal(client, excellent, officer, rubric):
    good = ProjectFactory(title="良好项目")
    _final(good, rubric, grade=Grade.GOOD, score="85")
    client.force_login(officer)

    listing = client.get("/admin/evaluation/brand/").content.decode()
    refused = client.post(f"/admin/evaluation/brand/{good.pk}/", {"method": "方法"})
    marked = client.post(f"/admin/evaluation/brand/{excellent.pk}/", {"method": "方法总结"})

    assert "长者饭堂暖心计划" in listing
    assert refused.status_code == 400
    assert "只有末期评估已公布且等级为优的项目才能成为品牌项目" in refused.content.decode()
    assert marked.status_code == 302
    excellent.refresh_from_db()
    good.refresh_from_db()
    assert excellent.brand_method == "方法总结"
    assert excellent.brand_marked_at is not None
    assert good.brand_marked_at is None


@pytest.mark.django_db
def test_replicate_copies_the_design_not_the_money_or_people(client, excellent, officer, applicant):
    _mark(excellent, officer)
    call = make_call(title="2026年社区服务征集")
    organization = applicant.memberships.get().organization
    client.force_login(applicant)

    form = client.get(f"/brand-projects/{excellent.slug}/replicate/")
    response = client.post(
        f"/brand-projects/{excellent.slug}/replicate/",
        {"call": call.pk, "organization": organization.pk},
    )

    assert form.status_code == 200
    application = Application.objects.get(organization=organization)
    assert response.status_code == 302
    assert response["Location"] == application.get_absolute_url()
    assert application.status == ApplicationStatus.DRAFT
    assert application.replicated_from == excellent
    assert application.answers == {
        "objectives": DESIGN["objectives"],
        "indicators": DESIGN["indicators"],
    }
    assert application.drafts["activities"]["rows-0-name"] == ["入户调研"]
    assert "rows-0-start" not in application.drafts["activities"]
    assert application.drafts["budget"]["rows-0-item"] == ["社工"]
    assert "rows-0-unit_price" not in application.drafts["budget"]
    assert application.requested_amount == 0
    assert "team" not in application.answers and "basic" not in application.answers
    detail = client.get(application.get_absolute_url()).content.decode()
    assert "长者饭堂暖心计划" in detail


@pytest.mark.django_db
def test_handed_in_replications_are_listed_on_the_original(client, excellent, officer, applicant):
    _mark(excellent, officer)
    call = make_call(title="2026年社区服务征集")
    organization = applicant.memberships.get().organization
    draft = brand.replicate_brand_project(
        project=excellent, call=call, organization=organization, by=applicant
    )

    client.force_login(UserFactory(username="resident-brand"))  # no page cache
    before = client.get(excellent.get_absolute_url()).content.decode()
    Application.objects.filter(pk=draft.pk).update(status=ApplicationStatus.SUBMITTED)
    after = client.get(excellent.get_absolute_url()).content.decode()
    showcase = client.get("/brand-projects/").content.decode()

    assert "南山区新苗社工中心" not in before  # a draft is private
    assert "南山区新苗社工中心" in after
    assert "2026年社区服务征集" in after
    assert "1 application" in client.get("/en/brand-projects/").content.decode()
    assert "南山区新苗社工中心" not in showcase


@pytest.mark.django_db
def test_replicate_refused_for_projects_that_are_not_brand_projects(excellent, applicant, english):
    call = make_call()
    organization = applicant.memberships.get().organization

    with pytest.raises(brand.BrandError) as error:
        brand.replicate_brand_project(
            project=excellent, call=call, organization=organization, by=applicant
        )

    assert "Only a brand project's design can be replicated." in error.value.messages
    assert not Application.objects.filter(organization=organization).exists()


@pytest.mark.django_db
def test_replicate_refused_for_someone_elses_organization(excellent, officer, applicant):
    _mark(excellent, officer)
    call = make_call()
    stranger = OrganizationFactory()

    with pytest.raises(PermissionDenied):
        brand.replicate_brand_project(
            project=excellent, call=call, organization=stranger, by=applicant
        )


@pytest.mark.django_db
def test_replicate_page_needs_sign_in_and_404s_for_other_projects(client, excellent):
    anonymous = client.get(f"/brand-projects/{excellent.slug}/replicate/")
    client.force_login(UserFactory())
    not_brand = client.get(f"/brand-projects/{excellent.slug}/replicate/")

    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]
    assert not_brand.status_code == 404


@pytest.mark.django_db
def test_english_showcase_uses_english_fields(client, excellent, officer):
    _mark(excellent, officer)

    html = client.get("/en/brand-projects/").content.decode()

    assert "Warm canteen for elders" in html
    assert "Volunteers deliver." in html
    assert "社工统筹" not in html
