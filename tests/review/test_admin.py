from decimal import Decimal

import pytest
from django.urls import reverse
from wagtail.models import ModelLogEntry
from wagtail.users.models import UserProfile

from projects.review import services
from projects.review.enums import AssignmentStatus, ReviewStatus, ScoreVisibility
from projects.review.models import Assignment, Review
from tests.factories.review import ApplicationFactory


def _assign(application, reviewer, status=AssignmentStatus.ACCEPTED):
    reason = "亲属" if status == AssignmentStatus.CONFLICT else ""
    return Assignment.objects.create(
        application=application, reviewer=reviewer, status=status, conflict_reason=reason
    )


def _url(assignment):
    return reverse("review:assignment", args=[assignment.pk])


def _post(criteria, values, action="save", **extra):
    data = {f"criterion_{c.pk}": v for c, v in zip(criteria, values, strict=True)}
    return {**data, "action": action, "recommendation": "", **extra}


@pytest.fixture
def criteria(config):
    return list(config.rubric.criteria.all())


def _queue_items(call, reviewer, n):
    for _ in range(n):
        _assign(ApplicationFactory(call=call), reviewer)


def test_queue_shows_progress_in_chinese_and_english(client, call, config, reviewers):
    _queue_items(call, reviewers[0], 2)
    first = Assignment.objects.first()
    Review.objects.create(
        assignment=first, rubric=config.rubric, status=ReviewStatus.ABSTAINED, abstain_reason="x"
    )
    client.force_login(reviewers[0])

    zh = client.get(reverse("review:queue")).content.decode()
    profile = UserProfile.get_for_user(reviewers[0])
    profile.preferred_language = "en"
    profile.save()
    en = client.get(reverse("review:queue")).content.decode()

    assert "1 / 2" in zh and "我的评审" in zh
    assert "1 / 2 reviews handed in" in en and "My reviews" in en


def _count_queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    return len(ctx.captured_queries), response.content.decode()


def test_queue_query_count_is_same_for_1_and_3_items(client, call, config, reviewers):
    _queue_items(call, reviewers[0], 1)
    client.force_login(reviewers[0])
    client.get(reverse("review:queue"))
    one, body_one = _count_queries(client, reverse("review:queue"))
    _queue_items(call, reviewers[0], 2)

    three, body_three = _count_queries(client, reverse("review:queue"))

    assert one == three
    assert body_one.count('href="/admin/review/assignments/') == 1
    assert body_three.count('href="/admin/review/assignments/') == 3


def test_pending_assignment_shows_declaration_not_content(client, call, config, reviewers):
    assignment = _assign(
        ApplicationFactory(call=call, answers={"basic": {"summary": "机密内容"}}),
        reviewers[0],
        status=AssignmentStatus.PENDING,
    )
    client.force_login(reviewers[0])

    body = client.get(_url(assignment)).content.decode()

    assert 'name="conflict"' in body
    assert "机密内容" not in body


def test_declare_no_conflict_then_content_visible(client, call, config, reviewers):
    assignment = _assign(
        ApplicationFactory(call=call, answers={"basic": {"summary": "机密内容"}}),
        reviewers[0],
        status=AssignmentStatus.PENDING,
    )
    client.force_login(reviewers[0])

    response = client.post(_url(assignment), {"conflict": "no"})
    body = client.get(_url(assignment)).content.decode()

    assert response.status_code == 302
    assert "机密内容" in body
    assert ModelLogEntry.objects.filter(action="review.conflict.none").count() == 1


def test_declare_conflict_without_reason_rerenders_with_error(client, call, config, reviewers):
    assignment = _assign(
        ApplicationFactory(call=call), reviewers[0], status=AssignmentStatus.PENDING
    )
    client.force_login(reviewers[0])

    response = client.post(_url(assignment), {"conflict": "yes", "reason": ""})

    assignment.refresh_from_db()
    assert response.status_code == 400
    assert "请填写回避理由。" in response.content.decode()
    assert assignment.status == AssignmentStatus.PENDING


def test_blind_review_hides_organization_and_team_names(client, call, config, reviewers):
    config.blind = True
    config.save()
    application = ApplicationFactory(
        call=call,
        answers={"team": {"lines": [{"name": "王小明", "role": "项目主管", "experience": "五年"}]}},
    )
    assignment = _assign(application, reviewers[0])
    client.force_login(reviewers[0])

    body = client.get(_url(assignment)).content.decode()

    assert application.organization.name not in body
    assert "王小明" not in body
    assert "项目主管" in body


def test_another_reviewers_assignment_is_404(client, call, config, reviewers):
    assignment = _assign(ApplicationFactory(call=call), reviewers[0])
    client.force_login(reviewers[1])

    get = client.get(_url(assignment))
    post = client.post(_url(assignment), {"action": "submit"})

    assert (get.status_code, post.status_code) == (404, 404)
    assert Review.objects.count() == 0


def test_conflicted_assignment_is_403(client, call, config, reviewers):
    assignment = _assign(
        ApplicationFactory(call=call), reviewers[0], status=AssignmentStatus.CONFLICT
    )
    client.force_login(reviewers[0])

    response = client.get(_url(assignment))

    assert response.status_code == 403
    assert "您已声明与该申报存在利益冲突。" in response.content.decode()
    assert Review.objects.count() == 0


def test_submit_from_admin_locks_and_edit_after_is_403(client, call, config, reviewers, criteria):
    assignment = _assign(ApplicationFactory(call=call), reviewer=reviewers[0])
    client.force_login(reviewers[0])

    submitted = client.post(
        _url(assignment), _post(criteria, ["8", "6"], action="submit", recommendation="fund")
    )
    again = client.post(_url(assignment), _post(criteria, ["1", "1"]))

    review = Review.objects.get()
    assert submitted.status_code == 302
    assert again.status_code == 403
    assert "该评审已提交，不能再修改。" in again.content.decode()
    assert (review.status, review.total) == (ReviewStatus.SUBMITTED, Decimal("72.00"))


def test_out_of_scale_score_rerenders_with_typed_values(client, call, config, reviewers, criteria):
    assignment = _assign(ApplicationFactory(call=call), reviewer=reviewers[0])
    client.force_login(reviewers[0])

    response = client.post(_url(assignment), _post(criteria, ["12", "abc"]))

    body = response.content.decode()
    assert response.status_code == 400
    assert 'value="12"' in body and 'value="abc"' in body
    assert "“C1”的分值须在 0 至 10 之间。" in body
    assert "“abc”不是数字。" in body
    assert Review.objects.count() == 0


def test_save_and_next_goes_to_next_open_assignment(client, call, config, reviewers, criteria):
    first = _assign(ApplicationFactory(call=call), reviewer=reviewers[0])
    second = _assign(ApplicationFactory(call=call), reviewer=reviewers[0])
    client.force_login(reviewers[0])

    response = client.post(_url(first), _post(criteria, ["5", ""], action="next"))

    assert response.status_code == 302
    assert response.url == _url(second)


def test_others_scores_hidden_before_own_submission(client, call, config, reviewers, criteria):
    config.score_visibility = ScoreVisibility.AFTER_SUBMIT
    config.save()
    application = ApplicationFactory(call=call)
    other = _assign(application, reviewers[1])
    services.save_review(
        assignment=other,
        by=reviewers[1],
        recommendation="fund",
        submit=True,
        scores={criteria[0].pk: Decimal(3), criteria[1].pk: Decimal(3)},
    )
    mine = _assign(application, reviewers[0])
    client.force_login(reviewers[0])

    before = client.get(_url(mine)).content.decode()
    services.save_review(
        assignment=mine,
        by=reviewers[0],
        recommendation="fund",
        submit=True,
        scores={criteria[0].pk: Decimal(9), criteria[1].pk: Decimal(9)},
    )
    after = client.get(_url(mine)).content.decode()

    assert "其他专家的评分" not in before
    assert "其他专家的评分" in after
    assert "评审专家 1: 30" in after


def _progress(call):
    return reverse("review:progress", args=[call.pk])


def _scored(call, reviewer, criteria):
    assignment = _assign(ApplicationFactory(call=call), reviewer)
    services.save_review(
        assignment=assignment,
        by=reviewer,
        recommendation="fund",
        submit=True,
        scores={c.pk: Decimal(5) for c in criteria},
    )


def test_progress_query_count_is_same_for_1_and_3_items(
    client, call, config, reviewers, officer, criteria
):
    _scored(call, reviewers[0], criteria)
    services.rank_call(call=call)
    client.force_login(officer)
    client.get(_progress(call))
    one, body_one = _count_queries(client, _progress(call))
    _scored(call, reviewers[0], criteria)
    _scored(call, reviewers[1], criteria)
    services.rank_call(call=call)

    three, body_three = _count_queries(client, _progress(call))

    assert one == three
    assert "1 / 1" in body_one
    assert "2 / 2" in body_three and "1 / 1" in body_three


def test_progress_page_is_staff_only(client, call, config, reviewers):
    client.force_login(reviewers[0])

    response = client.get(_progress(call))

    assert response.status_code == 403
    assert "只有项目工作人员可以打开此页面。" in response.content.decode()


def test_staff_auto_assigns_from_dashboard(client, call, config, reviewers, officer, applications):
    client.force_login(officer)

    response = client.post(_progress(call), {"action": "auto_assign"})

    assert response.status_code == 302
    assert Assignment.objects.count() == 6


def test_staff_reopens_review_with_reason(client, call, config, reviewers, officer, criteria):
    assignment = _assign(ApplicationFactory(call=call), reviewers[0])
    review = services.save_review(
        assignment=assignment,
        by=reviewers[0],
        recommendation="fund",
        submit=True,
        scores={c.pk: Decimal(5) for c in criteria},
    )
    client.force_login(officer)

    response = client.post(reverse("review_reviews:reopen", args=[review.pk]), {"reason": "请复核"})

    review.refresh_from_db()
    assert response.status_code == 302
    assert review.status == ReviewStatus.DRAFT


def test_ranking_report_exports_csv(client, call, config, reviewers, officer, criteria):
    config.reviewers_per_application = 1
    config.save()
    assignment = _assign(ApplicationFactory(call=call, title="导出项目"), reviewers[0])
    services.save_review(
        assignment=assignment,
        by=reviewers[0],
        recommendation="fund",
        submit=True,
        scores={c.pk: Decimal(5) for c in criteria},
    )
    services.rank_call(call=call)
    client.force_login(officer)

    response = client.get(reverse("review_ranking:index") + "?export=csv")

    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "导出项目" in body
    assert "50.0000" in body


def test_reviewer_cannot_open_another_review_in_staff_views(
    client, call, config, reviewers, criteria
):
    assignment = _assign(ApplicationFactory(call=call), reviewers[1])
    review = services.save_review(
        assignment=assignment,
        by=reviewers[1],
        recommendation="fund",
        submit=True,
        scores={c.pk: Decimal(7) for c in criteria},
    )
    client.force_login(reviewers[0])

    inspect = client.get(reverse("review_reviews:inspect", args=[review.pk]))
    listing = client.get(reverse("review_reviews:index"))
    export = client.get(reverse("review_ranking:index") + "?export=csv")

    assert (inspect.status_code, listing.status_code, export.status_code) == (302, 302, 302)
    assert inspect.url == listing.url == export.url == "/admin/"
