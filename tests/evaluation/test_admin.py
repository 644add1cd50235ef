from decimal import Decimal

import pytest
from django.urls import reverse
from wagtail.models import ModelLogEntry

from projects.evaluation import services
from projects.evaluation.enums import AssessmentStatus, EvaluationStatus, FeedbackStatus
from projects.evaluation.models import Assessment, Dimension, Evaluation, EvaluationRubric
from tests.factories.evaluation import FeedbackFactory
from tests.factories.organizations import MembershipFactory, UserFactory

from .helpers import dims, scores_for, submitted_evaluation


@pytest.fixture
def sheet(project, rubric, officer, evaluators):
    evaluation = services.open_evaluation(
        project=project, kind="midterm", rubric=rubric, by=officer
    )
    return services.assign_evaluator(evaluation=evaluation, evaluator=evaluators[0], by=officer)


def _sheet_post(rubric, values, action="save", **extra):
    data = {f"dimension_{d.pk}": v for d, v in zip(dims(rubric), values, strict=True)}
    return {**data, "action": action, "comments": "", **extra}


def test_evaluator_queue_lists_own_sheets_only(client, sheet, evaluators):
    client.force_login(evaluators[0])

    mine = client.get(reverse("evaluation:queue")).content.decode()
    client.force_login(evaluators[1])
    theirs = client.get(reverse("evaluation:queue")).content.decode()

    assert sheet.evaluation.project.title in mine and "我的评估" in mine
    assert sheet.evaluation.project.title not in theirs


def test_another_evaluators_sheet_is_not_found_and_others_are_refused(client, sheet, evaluators):
    client.force_login(evaluators[1])
    other = client.get(reverse("evaluation:sheet", args=[sheet.pk]))
    client.force_login(MembershipFactory().user)
    member = client.get(reverse("evaluation:queue"))

    assert other.status_code == 404
    assert member.status_code in (302, 403)


def test_sheet_page_submits_scores_and_shows_feedback(client, sheet, rubric, evaluators):
    FeedbackFactory(
        project=sheet.evaluation.project,
        rating=2,
        comment="活动太少",
        status=FeedbackStatus.PUBLISHED,
    )
    client.force_login(evaluators[0])
    page = client.get(reverse("evaluation:sheet", args=[sheet.pk])).content.decode()

    response = client.post(
        reverse("evaluation:sheet", args=[sheet.pk]),
        _sheet_post(rubric, ["20", "18.5", "30", "15"], action="submit"),
    )

    assert "活动太少" in page and "居民评价" in page
    assert response.status_code == 302
    sheet.refresh_from_db()
    assert sheet.status == AssessmentStatus.SUBMITTED and sheet.total == Decimal("83.5")


def test_sheet_errors_keep_every_typed_value(client, sheet, rubric, evaluators):
    client.force_login(evaluators[0])
    bonus = rubric.adjustment_items.filter(kind="bonus").first()

    response = client.post(
        reverse("evaluation:sheet", args=[sheet.pk]),
        _sheet_post(
            rubric,
            ["30", "abc", "12.345", "15"],
            action="submit",
            **{
                f"points_{bonus.pk}": "2",
                f"reason_{bonus.pk}": "获得区级表彰",
                "comments": "我的评语",
            },
        ),
    )

    body = response.content.decode()
    assert response.status_code == 400
    assert "“abc”不是数字" in body and "最多保留两位小数" in body
    assert 'value="30"' in body and 'value="12.345"' in body and "获得区级表彰" in body
    assert "我的评语" in body
    sheet.refresh_from_db()
    assert sheet.status == AssessmentStatus.DRAFT and sheet.scores.count() == 0


def test_sheet_out_of_range_score_is_explained(client, sheet, rubric, evaluators):
    client.force_login(evaluators[0])

    response = client.post(
        reverse("evaluation:sheet", args=[sheet.pk]),
        _sheet_post(rubric, ["26", "20", "30", "15"], action="submit"),
    )

    assert response.status_code == 400
    assert "“维度1”应在 0 到 25 之间" in response.content.decode()


def test_non_staff_cannot_open_the_dashboard_or_manage(client, sheet, evaluators):
    client.force_login(evaluators[0])

    dashboard = client.get(reverse("evaluation:dashboard"))
    manage = client.post(
        reverse("evaluation:manage", args=[sheet.evaluation_id]), {"action": "publish"}
    )

    assert dashboard.status_code == 403 and manage.status_code == 403


def test_staff_open_assign_finalise_publish_through_the_dashboard(
    client, project, rubric, officer, evaluators
):
    client.force_login(officer)

    opened = client.post(
        reverse("evaluation:dashboard"),
        {"project": project.pk, "kind": "midterm", "rubric": rubric.pk},
    )
    evaluation = Evaluation.objects.get()
    url = reverse("evaluation:manage", args=[evaluation.pk])
    client.post(url, {"action": "assign", "evaluator": evaluators[0].pk})
    sheet = Assessment.objects.get()
    services.save_assessment(
        assessment=sheet, by=evaluators[0], scores=scores_for(rubric, [25, 20, 35, 15]), submit=True
    )
    client.post(url, {"action": "finalise", "conclusion": "成效显著"})
    client.post(url, {"action": "publish"})

    assert opened.status_code == 302 and opened.url == url
    evaluation.refresh_from_db()
    assert evaluation.status == EvaluationStatus.PUBLISHED
    assert (evaluation.score, evaluation.grade, evaluation.conclusion) == (
        Decimal(95),
        "excellent",
        "成效显著",
    )
    assert "已发布" in client.get(url).content.decode()


def test_assigning_a_member_of_the_organization_shows_the_reason(
    client, project, rubric, officer, evaluators
):
    MembershipFactory(organization=project.organization, user=evaluators[0])
    evaluation = services.open_evaluation(project=project, kind="final", rubric=rubric, by=officer)
    client.force_login(officer)

    response = client.post(
        reverse("evaluation:manage", args=[evaluation.pk]),
        {"action": "assign", "evaluator": evaluators[0].pk},
    )

    assert response.status_code == 400
    assert "是项目执行机构的成员，不能评估该项目" in response.content.decode()
    assert Assessment.objects.count() == 0


def test_release_hold_from_the_manage_page(client, project, rubric, officer, evaluators):
    evaluation = submitted_evaluation(
        project=project,
        rubric=rubric,
        officer=officer,
        evaluators=evaluators[:1],
        totals_by_sheet=[[10, 10, 10, 10]],
    )
    services.finalise_evaluation(evaluation=evaluation, by=officer)
    client.force_login(officer)
    url = reverse("evaluation:manage", args=[evaluation.pk])
    assert "暂停拨付" in client.get(url).content.decode()

    empty = client.post(url, {"action": "release_hold", "reason": ""})
    done = client.post(url, {"action": "release_hold", "reason": "已整改"})

    assert empty.status_code == 400 and done.status_code == 302
    evaluation.refresh_from_db()
    assert evaluation.hold_release_reason == "已整改"


def test_moderation_view_publishes_and_requires_a_note_to_reject(client, project, officer):
    feedback = FeedbackFactory(project=project)
    client.force_login(officer)
    url = reverse("evaluation:moderate", args=[feedback.pk])

    refused = client.post(url, {"outcome": "reject", "note": ""})
    published = client.post(url, {"outcome": "publish", "note": ""})

    assert refused.status_code == 400 and "请填写驳回理由" in refused.content.decode()
    assert published.status_code == 302
    feedback.refresh_from_db()
    assert feedback.status == FeedbackStatus.PUBLISHED


def test_admin_lists_open_for_staff(client, project, rubric, officer, evaluators):
    submitted_evaluation(
        project=project,
        rubric=rubric,
        officer=officer,
        evaluators=evaluators[:1],
        totals_by_sheet=[[10, 10, 10, 10]],
    )
    FeedbackFactory(project=project)
    client.force_login(officer)

    pages = [
        client.get(reverse(name))
        for name in (
            "evaluation_rubrics:index",
            "evaluation_evaluations:index",
            "evaluation_sheets:index",
            "evaluation_feedback:index",
            "evaluation:dashboard",
        )
    ]

    assert [p.status_code for p in pages] == [200] * 5
    assert project.title in pages[1].content.decode()


def test_rubric_new_version_copies_dimensions_and_items(client, rubric, officer):
    client.force_login(officer)

    response = client.post(reverse("evaluation_rubrics:new_version", args=[rubric.pk]))

    copy = EvaluationRubric.objects.get(code=rubric.code, version=2)
    assert response.status_code == 302
    assert copy.max_total() == Decimal(100) and copy.adjustment_items.count() == 6
    assert ModelLogEntry.objects.filter(action="evaluation.rubric.version").count() == 1


def test_non_staff_cannot_make_a_rubric_version(client, rubric, evaluators):
    client.force_login(evaluators[0])

    response = client.post(reverse("evaluation_rubrics:new_version", args=[rubric.pk]))

    assert response.status_code == 403
    assert EvaluationRubric.objects.filter(code=rubric.code).count() == 1


def test_resident_without_admin_access_is_sent_away(client, sheet):
    client.force_login(UserFactory())

    response = client.get(reverse("evaluation:sheet", args=[sheet.pk]))

    assert response.status_code == 302


def _rubric_edit_data(rubric, *, first_max=None, cap=None):
    from wagtail.test.utils.form_data import inline_formset, nested_form_data

    dims_ = [
        {
            "id": d.pk,
            "name": d.name,
            "name_en": d.name_en,
            "description": d.description,
            "max_score": str(first_max if (first_max is not None and i == 0) else d.max_score),
            "sort_order": d.sort_order,
        }
        for i, d in enumerate(rubric.dimensions.all())
    ]
    items_ = [
        {
            "id": i.pk,
            "kind": i.kind,
            "name": i.name,
            "name_en": i.name_en,
            "max_points": str(i.max_points),
            "sort_order": i.sort_order,
        }
        for i in rubric.adjustment_items.all()
    ]
    return nested_form_data(
        {
            "name": rubric.name,
            "name_en": rubric.name_en,
            "code": rubric.code,
            "description": rubric.description,
            "bonus_cap": str(cap if cap is not None else rubric.bonus_cap),
            "penalty_cap": str(rubric.penalty_cap),
            "dimensions": inline_formset(dims_, initial=len(dims_)),
            "adjustment_items": inline_formset(items_, initial=len(items_)),
        }
    )


def test_rubric_in_use_refuses_changed_maxima_but_takes_a_new_name(
    client, project, rubric, officer
):
    services.open_evaluation(project=project, kind="midterm", rubric=rubric, by=officer)
    client.force_login(officer)
    url = reverse("evaluation_rubrics:edit", args=[rubric.pk])

    refused = client.post(url, _rubric_edit_data(rubric, first_max=30))
    capped = client.post(url, _rubric_edit_data(rubric, cap=8))
    data = _rubric_edit_data(rubric)
    data["name"] = "改名后的指标体系"
    renamed = client.post(url, data)

    assert refused.status_code == 200 and "新版本" in refused.content.decode()
    assert capped.status_code == 200
    assert renamed.status_code == 302
    rubric.refresh_from_db()
    assert rubric.name == "改名后的指标体系" and rubric.bonus_cap == Decimal(5)
    assert Dimension.objects.filter(rubric=rubric).first().max_score == Decimal(25)


def test_unused_rubric_can_be_edited(client, rubric, officer):
    client.force_login(officer)

    response = client.post(
        reverse("evaluation_rubrics:edit", args=[rubric.pk]),
        _rubric_edit_data(rubric, first_max=30),
    )

    assert response.status_code == 302
    assert Dimension.objects.filter(rubric=rubric).first().max_score == Decimal(30)


def _admin_queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_queue_and_dashboard_queries_are_constant(client, rubric, officer, evaluators):
    from tests.factories.projects import ProjectFactory

    def add_one():
        evaluation = services.open_evaluation(
            project=ProjectFactory(), kind="midterm", rubric=rubric, by=officer
        )
        services.assign_evaluator(evaluation=evaluation, evaluator=evaluators[0], by=officer)

    add_one()
    client.force_login(evaluators[0])
    client.get(reverse("evaluation:queue"))
    queue_one = _admin_queries(client, reverse("evaluation:queue"))
    client.force_login(officer)
    client.get(reverse("evaluation:dashboard"))
    dashboard_one = _admin_queries(client, reverse("evaluation:dashboard"))
    add_one()
    add_one()

    dashboard_three = _admin_queries(client, reverse("evaluation:dashboard"))
    client.force_login(evaluators[0])
    queue_three = _admin_queries(client, reverse("evaluation:queue"))

    assert queue_one == queue_three
    assert dashboard_one == dashboard_three
