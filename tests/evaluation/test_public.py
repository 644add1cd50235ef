from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from projects.enums import ProjectStatus
from projects.evaluation import services
from projects.evaluation.enums import FeedbackStatus
from projects.evaluation.models import ResidentFeedback
from tests.factories.evaluation import FeedbackFactory
from tests.factories.organizations import UserFactory
from tests.factories.projects import ProjectFactory

from .helpers import submitted_evaluation


def _publish(project, rubric, officer, evaluators, values, kind="midterm"):
    evaluation = submitted_evaluation(
        project=project,
        rubric=rubric,
        officer=officer,
        evaluators=evaluators[:1],
        kind=kind,
        totals_by_sheet=[values],
    )
    services.finalise_evaluation(evaluation=evaluation, by=officer, conclusion="台账规范")
    return services.publish_evaluation(evaluation=evaluation, by=officer)


def _page(client, project):
    return client.get(project.get_absolute_url()).content.decode()


def test_project_page_shows_published_grade_appeal_note_and_published_feedback(
    client, site_pages, project, rubric, officer, evaluators
):
    _publish(project, rubric, officer, evaluators, [25, 20, 30, 17])
    FeedbackFactory(project=project, rating=5, comment="很满意", status=FeedbackStatus.PUBLISHED)
    FeedbackFactory(project=project, rating=1, comment="待审核的话", status=FeedbackStatus.PENDING)

    body = _page(client, project)

    assert "评估结果" in body and "中期评估" in body and "92 / 100" in body
    assert "优" in body and "台账规范" in body
    assert "前向项目官员提出" in body
    assert "很满意" in body and "待审核的话" not in body
    assert "平均满意度 5.0 / 5" in body


def test_open_or_finalised_evaluations_are_not_public(
    client, site_pages, project, rubric, officer, evaluators
):
    evaluation = submitted_evaluation(
        project=project,
        rubric=rubric,
        officer=officer,
        evaluators=evaluators[:1],
        totals_by_sheet=[[25, 20, 30, 17]],
    )
    services.finalise_evaluation(evaluation=evaluation, by=officer)

    body = _page(client, project)

    assert "评估结果" not in body


def test_appeal_note_disappears_after_the_window(
    client, site_pages, project, rubric, officer, evaluators
):
    evaluation = _publish(project, rubric, officer, evaluators, [25, 20, 30, 17])
    type(evaluation).objects.filter(pk=evaluation.pk).update(
        appeal_ends_at=timezone.now() - timedelta(minutes=1)
    )

    body = _page(client, project)

    assert "评估结果" in body and "前向项目官员提出" not in body


def test_organization_profile_lists_published_grades(
    client, site_pages, project, rubric, officer, evaluators
):
    _publish(project, rubric, officer, evaluators, [10, 10, 20, 10])

    body = client.get(project.organization.get_absolute_url()).content.decode()

    assert "项目评估" in body and project.title in body and "差" in body and "50" in body


def test_anonymous_visitor_is_invited_to_sign_in_and_redirected(client, site_pages, project):
    body = _page(client, project)
    response = client.post(
        reverse("evaluation_public:feedback", args=[project.slug]), {"rating": "5"}
    )

    assert "登录后评价本项目" in body
    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))
    assert ResidentFeedback.objects.count() == 0


def test_signed_in_resident_rates_from_the_project_page(client, site_pages, project):
    resident = UserFactory()
    client.force_login(resident)
    assert 'name="rating"' in _page(client, project)

    response = client.post(
        reverse("evaluation_public:feedback", args=[project.slug]),
        {"rating": "4", "comment": "活动很丰富"},
    )

    assert response.status_code == 302
    assert response.url == f"{project.get_absolute_url()}#resident-feedback"
    feedback = ResidentFeedback.objects.get()
    assert (feedback.user, feedback.rating, feedback.comment) == (resident, 4, "活动很丰富")
    page = _page(client, project)
    assert "您给本项目打了 4 星。" in page and "工作人员审核后公开。" in page
    assert "提交评价" not in page


def test_invalid_rating_keeps_the_typed_comment(client, site_pages, project):
    client.force_login(UserFactory())

    response = client.post(
        reverse("evaluation_public:feedback", args=[project.slug]),
        {"rating": "9", "comment": "我写了很长的意见"},
    )

    body = response.content.decode()
    assert response.status_code == 400
    assert "请选择 1 到 5 分" in body and "我写了很长的意见" in body
    assert ResidentFeedback.objects.count() == 0


def test_duplicate_feedback_through_the_form_is_refused_with_text_kept(client, site_pages, project):
    resident = UserFactory()
    FeedbackFactory(project=project, user=resident)
    client.force_login(resident)

    response = client.post(
        reverse("evaluation_public:feedback", args=[project.slug]),
        {"rating": "2", "comment": "第二次"},
    )

    body = response.content.decode()
    assert response.status_code == 400
    assert "您已经评价过本项目" in body and "第二次" in body
    assert ResidentFeedback.objects.count() == 1


def test_feedback_on_a_project_not_running_is_not_offered(client, site_pages):
    project = ProjectFactory(status=ProjectStatus.APPROVED)
    client.force_login(UserFactory())

    page = _page(client, project)
    response = client.post(
        reverse("evaluation_public:feedback", args=[project.slug]), {"rating": "5"}
    )

    assert "居民评价" not in page
    assert response.status_code == 400 and "项目开始实施后才能评价" in response.content.decode()
    assert ResidentFeedback.objects.count() == 0


def test_submissions_are_rate_limited_per_user(client, site_pages, settings):
    settings.EVALUATION_FEEDBACK_USER_RATE = (2, 3600)
    projects = [ProjectFactory() for _ in range(3)]
    client.force_login(UserFactory())

    codes = [
        client.post(
            reverse("evaluation_public:feedback", args=[p.slug]),
            {"rating": "5", "comment": f"意见{i}"},
        ).status_code
        for i, p in enumerate(projects)
    ]
    last = client.post(
        reverse("evaluation_public:feedback", args=[projects[2].slug]),
        {"rating": "5", "comment": "被限流的意见"},
    )

    assert codes == [302, 302, 429]
    assert last.status_code == 429 and "被限流的意见" in last.content.decode()
    assert ResidentFeedback.objects.count() == 2


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("signed_in", [False, True])
def test_project_section_queries_are_constant(
    client, site_pages, project, rubric, officer, evaluators, signed_in
):
    if signed_in:
        client.force_login(UserFactory())
    FeedbackFactory(project=project, status=FeedbackStatus.PUBLISHED)
    _publish(project, rubric, officer, evaluators, [25, 20, 30, 17])
    url = project.get_absolute_url()
    client.get(f"{url}?warm")
    one = _count(client, f"{url}?one")  # a new query string: never served from page cache

    for _ in range(2):
        FeedbackFactory(project=project, status=FeedbackStatus.PUBLISHED)
    _publish(project, rubric, officer, evaluators[1:], [20, 20, 30, 17], kind="final")
    three = _count(client, f"{url}?three")

    assert one == three


def test_organization_grades_queries_are_constant(client, site_pages, rubric, officer, evaluators):
    project = ProjectFactory()
    _publish(project, rubric, officer, evaluators, [25, 20, 30, 17])
    url = project.organization.get_absolute_url()
    client.get(f"{url}?warm")
    one = _count(client, f"{url}?one")

    for i in range(2):
        other = ProjectFactory(organization=project.organization, slug=f"other-{i}")
        _publish(other, rubric, officer, evaluators, [20, 20, 30, 17])
    three = _count(client, f"{url}?three")

    assert one == three
    assert client.get(f"{url}?body").content.decode().count("中期评估") == 3


def test_moderating_feedback_refreshes_the_cached_anonymous_page(
    client, site_pages, project, officer
):
    feedback = FeedbackFactory(project=project, comment="缓存后才公开的评价")
    url = project.get_absolute_url()
    first = client.get(url)
    cached = client.get(url)

    services.moderate_feedback(feedback=feedback, by=officer, publish=True)
    fresh = client.get(url)

    assert (first["X-Page-Cache"], cached["X-Page-Cache"]) == ("miss", "hit")
    assert fresh["X-Page-Cache"] == "miss" and "缓存后才公开的评价" in fresh.content.decode()
