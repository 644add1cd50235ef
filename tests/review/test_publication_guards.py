"""Guards before results (#15): coverage, insufficient reviews, review window, stale
ranking, frozen reviews, republication, appeal window, conflicts per organization."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation
from wagtail.models import ModelLogEntry, PageLogEntry

from portal.core.notifications.models import Notification
from projects.enums import ProjectTier
from projects.review import selectors, services
from projects.review.enums import AssignmentStatus
from projects.review.models import Appeal, Assignment, ConflictOfInterest, Decision, Review
from tests.factories.organizations import MembershipFactory
from tests.factories.projects import make_call
from tests.factories.review import ApplicationFactory

pytestmark = pytest.mark.django_db


def _review(application, reviewer, value, *, submit=True):
    assignment = Assignment.objects.create(
        application=application, reviewer=reviewer, status=AssignmentStatus.ACCEPTED
    )
    criteria = application.call.review_settings.rubric.criteria.all()
    return services.save_review(
        assignment=assignment,
        by=reviewer,
        recommendation="fund",
        submit=submit,
        scores={c.pk: Decimal(value) for c in criteria},
    )


@pytest.fixture
def half_reviewed(call, config, reviewers):
    """Two reviews required. A and B get both (A: 9, 9 · B: 5, 3); C gets one; D none."""
    apps = {}
    for name in "ABCD":
        apps[name] = ApplicationFactory(call=call, title=f"项目{name}")
        MembershipFactory(organization=apps[name].organization)
    _review(apps["A"], reviewers[0], 9)
    _review(apps["A"], reviewers[1], 9)
    _review(apps["B"], reviewers[0], 5)
    _review(apps["B"], reviewers[1], 3)
    _review(apps["C"], reviewers[0], 7)
    config.funded_count, config.reserve_count, config.appeal_days = 1, 1, 7
    # These tests are about the guards, not the tiers' minimum scores (B scores below 60).
    config.funded_min_score = config.reserve_min_score = 0
    config.save()
    return apps


def test_coverage_counts_submitted_reviews_against_required(call, half_reviewed):
    rows = {r.title: (r.done, r.required) for r in selectors.review_coverage(call)}

    assert rows == {"项目A": (2, 2), "项目B": (2, 2), "项目C": (1, 2), "项目D": (0, 2)}


def test_rank_call_ranks_only_applications_with_required_reviews(call, half_reviewed, officer):
    entries = services.rank_call(call=call, by=officer)

    assert [e.application_id for e in entries] == [half_reviewed["A"].pk, half_reviewed["B"].pk]
    entry = PageLogEntry.objects.get(action="review.rank", page=call)
    assert entry.data["not_ranked_insufficient_reviews"] == [
        half_reviewed["D"].pk,
        half_reviewed["C"].pk,
    ]


def test_publish_refused_while_applications_lack_reviews(call, half_reviewed, officer):
    services.rank_call(call=call, by=officer)

    with pytest.raises(ValidationError) as error:
        services.publish_results(call=call, by=officer)

    assert error.value.message_dict["override_reason"] == [
        "Results cannot be published yet. A programme officer may publish anyway with a "
        "written reason.",
        "“项目D” has 0 of 2 reviews.",
        "“项目C” has 1 of 2 reviews.",
    ]
    assert not Decision.objects.filter(call=call).exists()
    call.refresh_from_db()
    assert call.notice_published_at is None


def test_publish_refused_while_review_window_is_open(call, config, reviewers, officer):
    app = ApplicationFactory(call=call)
    _review(app, reviewers[0], 8)
    _review(app, reviewers[1], 6)
    config.funded_count, config.deadline = 1, timezone.now() + timedelta(days=2)
    config.save()
    services.rank_call(call=call, by=officer)

    with pytest.raises(ValidationError) as error:
        services.publish_results(call=call, by=officer)

    messages = error.value.message_dict["override_reason"]
    assert len(messages) == 2
    assert messages[1].startswith("The review window is open until ")


def test_override_with_reason_publishes_unranked_as_insufficient_and_logs(
    call, half_reviewed, officer, django_capture_on_commit_callbacks
):
    services.rank_call(call=call, by=officer)

    with django_capture_on_commit_callbacks(execute=True):
        published = services.publish_results(
            call=call, by=officer, override_reason="专家C因病无法完成，经评审委员会同意"
        )

    decisions = {
        d.application.title: (d.rank, d.tier, d.project_id is not None)
        for d in Decision.objects.filter(call=call).select_related("application")
    }
    assert published == 4
    assert decisions == {
        "项目A": (1, ProjectTier.FUNDED_MATCHED, True),
        "项目B": (2, ProjectTier.RESERVE, True),
        "项目C": (None, ProjectTier.NOT_FUNDED, False),
        "项目D": (None, ProjectTier.NOT_FUNDED, False),
    }
    override = PageLogEntry.objects.get(action="review.publish.override", page=call)
    assert override.data["reason"] == "专家C因病无法完成，经评审委员会同意"
    assert override.data["overridden"] == [
        "“项目D” has 0 of 2 reviews.",
        "“项目C” has 1 of 2 reviews.",
    ]
    notice = Notification.objects.get(
        user__memberships__organization=half_reviewed["D"].organization
    )
    assert notice.body.startswith("“项目D”未排名：评审数量不足。")


def test_override_reason_of_spaces_is_refused(call, half_reviewed, officer):
    services.rank_call(call=call, by=officer)

    with pytest.raises(ValidationError) as error:
        services.publish_results(call=call, by=officer, override_reason="   ")

    assert "override_reason" in error.value.message_dict
    assert not Decision.objects.filter(call=call).exists()


def _fully_reviewed(call, config, reviewers):
    apps = [ApplicationFactory(call=call, title=f"项目{i}") for i in range(3)]
    for app, (a, b) in zip(apps, [(9, 9), (6, 6), (3, 3)], strict=True):
        _review(app, reviewers[0], a)
        _review(app, reviewers[1], b)
    config.funded_count, config.reserve_count = 1, 1
    # About republication, not the tiers' minimum scores (the re-scored one drops to 10).
    config.funded_min_score = config.reserve_min_score = 0
    config.save()
    return apps


def test_stale_ranking_is_refused(call, config, reviewers, officer):
    _fully_reviewed(call, config, reviewers)
    services.rank_call(call=call, by=officer)
    review = Review.objects.filter(assignment__reviewer=reviewers[1]).first()
    services.reopen_review(review=review, by=officer, reason="分数录入错误")

    with pytest.raises(ValidationError) as error:
        services.publish_results(call=call, by=officer, override_reason="x")

    assert error.value.messages == [
        "A review changed after the ranking was computed; rank the call again before publishing."
    ]


def test_review_cannot_be_saved_after_publication_unless_reopened(call, config, reviewers, officer):
    apps = _fully_reviewed(call, config, reviewers)
    late = Assignment.objects.create(
        application=apps[0], reviewer=reviewers[2], status=AssignmentStatus.ACCEPTED
    )
    services.rank_call(call=call, by=officer)
    services.publish_results(call=call, by=officer)

    with pytest.raises(ValidationError) as error:
        services.save_review(assignment=late, by=reviewers[2], scores={})

    assert error.value.messages == ["The results are published; reviews can no longer be changed."]
    assert not Review.objects.filter(assignment=late, scores__isnull=False).exists()
    handed_in = Review.objects.get(
        assignment__application=apps[0], assignment__reviewer=reviewers[0]
    )
    services.reopen_review(review=handed_in, by=officer, reason="申诉复核")
    criteria = config.rubric.criteria.all()
    saved = services.save_review(
        assignment=handed_in.assignment,
        by=reviewers[0],
        scores={c.pk: Decimal(2) for c in criteria},
        recommendation="do_not_fund",
        submit=True,
    )
    assert saved.total == Decimal("20.00")


def test_review_cannot_be_saved_after_the_deadline(call, config, reviewers):
    app = ApplicationFactory(call=call)
    config.deadline = timezone.now() - timedelta(hours=1)
    config.save()
    assignment = Assignment.objects.create(
        application=app, reviewer=reviewers[0], status=AssignmentStatus.ACCEPTED
    )

    with pytest.raises(ValidationError) as error:
        services.save_review(assignment=assignment, by=reviewers[0], scores={})

    assert error.value.messages[0].startswith("The review window closed on ")


def test_republish_after_reopened_review_re_decides_every_decision(
    call, config, reviewers, officer
):
    apps = _fully_reviewed(call, config, reviewers)
    services.rank_call(call=call, by=officer)
    services.publish_results(call=call, by=officer)
    first_project = Decision.objects.get(application=apps[0]).project
    for review in Review.objects.filter(assignment__application=apps[0]):
        services.reopen_review(review=review, by=officer, reason="申诉成立，重新评分")
        services.save_review(
            assignment=review.assignment,
            by=review.assignment.reviewer,
            scores={c.pk: Decimal(1) for c in config.rubric.criteria.all()},
            recommendation="do_not_fund",
            submit=True,
        )
    services.rank_call(call=call, by=officer)

    services.publish_results(call=call, by=officer)

    rows = list(
        Decision.objects.filter(call=call)
        .order_by("rank")
        .values_list("application__title", "rank", "tier", "notice_version")
    )
    assert rows == [
        ("项目1", 1, ProjectTier.FUNDED_MATCHED, 2),
        ("项目2", 2, ProjectTier.RESERVE, 2),
        ("项目0", 3, ProjectTier.NOT_FUNDED, 2),
    ]
    first_project.refresh_from_db()
    assert first_project.tier == ProjectTier.NOT_FUNDED


def test_publishing_twice_without_change_is_refused(call, config, reviewers, officer):
    _fully_reviewed(call, config, reviewers)
    services.rank_call(call=call, by=officer)
    services.publish_results(call=call, by=officer)

    with pytest.raises(ValidationError) as error:
        services.publish_results(call=call, by=officer)

    assert error.value.messages == [
        "These results are already published and nothing has changed since."
    ]


def test_appeal_only_inside_the_window(call, config, reviewers, officer):
    _fully_reviewed(call, config, reviewers)
    services.rank_call(call=call, by=officer)
    now = timezone.now()
    services.publish_results(call=call, by=officer, now=now)
    decision = Decision.objects.get(call=call, rank=2)

    with pytest.raises(ValidationError) as late:
        services.record_appeal(
            decision=decision,
            appellant="某机构",
            text="评分有误",
            by=officer,
            received_at=now + timedelta(days=8),
            now=now + timedelta(days=9),
        )
    with pytest.raises(ValidationError) as early:
        services.record_appeal(
            decision=decision,
            appellant="某机构",
            text="评分有误",
            by=officer,
            received_at=now - timedelta(days=1),
        )
    inside = services.record_appeal(
        decision=decision, appellant="某机构", text="评分有误", by=officer
    )

    assert late.value.message_dict["received_at"][0].startswith("The appeal window closed on ")
    assert early.value.message_dict["received_at"] == [
        "An appeal cannot be dated before the results were published."
    ]
    assert list(Appeal.objects.values_list("pk", flat=True)) == [inside.pk]


def test_admin_appeal_create_outside_window_is_refused_next_to_the_field(
    client, call, config, reviewers, officer
):
    _fully_reviewed(call, config, reviewers)
    services.rank_call(call=call, by=officer)
    now = timezone.now()
    services.publish_results(call=call, by=officer, now=now - timedelta(days=10))
    decision = Decision.objects.get(call=call, rank=1)
    client.force_login(officer)

    response = client.post(
        reverse("review_appeals:add"),
        {
            "decision": decision.pk,
            "appellant": "某机构",
            "text": "逾期申诉",
            "received_at": timezone.localtime(now).strftime("%Y-%m-%d %H:%M"),
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["received_at"][0].startswith("异议期已于 ")
    assert not Appeal.objects.exists()


def test_conflict_declared_on_one_application_covers_the_organizations_others_in_open_calls(
    call, config, reviewers
):
    first = ApplicationFactory(call=call)
    second = ApplicationFactory(call=make_call(), organization=first.organization)
    other = ApplicationFactory(call=call)
    a1, a2, a3 = (
        Assignment.objects.create(application=app, reviewer=reviewers[0])
        for app in (first, second, other)
    )

    services.declare_conflict(assignment=a1, by=reviewers[0], conflict=True, reason="曾任理事")

    statuses = dict(
        Assignment.objects.filter(pk__in=[a1.pk, a2.pk, a3.pk]).values_list("pk", "status")
    )
    assert statuses == {
        a1.pk: AssignmentStatus.CONFLICT,
        a2.pk: AssignmentStatus.CONFLICT,
        a3.pk: AssignmentStatus.PENDING,
    }
    with pytest.raises(PermissionDenied):
        services.save_review(assignment=a2, by=reviewers[0], scores={})


def test_conflict_recorded_by_staff_recuses_and_drops_handed_in_review(
    call, config, reviewers, officer
):
    app = ApplicationFactory(call=call)
    review = _review(app, reviewers[0], 9)

    services.record_conflict(
        reviewer=reviewers[0], organization=app.organization, reason="亲属任职", by=officer
    )

    review.assignment.refresh_from_db()
    assert review.assignment.status == AssignmentStatus.CONFLICT
    assert [r.done for r in selectors.review_coverage(call)] == [0]
    assert ConflictOfInterest.objects.get().reason == "亲属任职"
    assert ModelLogEntry.objects.filter(action="review.conflict.record").count() == 1


def test_progress_page_lists_not_ranked_and_publish_errors_next_to_field(
    client, call, half_reviewed, officer
):
    services.rank_call(call=call, by=officer)
    client.force_login(officer)
    url = reverse("review:progress", args=[call.pk])

    publish = reverse("review:publish", args=[call.pk])

    with translation.override("zh-hans"):
        page = client.get(url).content.decode()
        token = client.get(publish).context["ranking_seen"]
        response = client.post(publish, {"ranking_seen": token, "override_reason": ""})

    body = response.content.decode()
    assert "未排名——评审不足" in page
    assert "“项目C” 已有 1 / 2 份评审。" in page
    assert response.status_code == 400
    assert "结果暂不能公示。项目官员可填写书面理由后仍然公示。" in body
    assert not Decision.objects.filter(call=call).exists()


def test_admin_conflict_create_goes_through_the_service(client, call, config, reviewers, officer):
    app = ApplicationFactory(call=call)
    review = _review(app, reviewers[0], 9)
    client.force_login(officer)
    data = {"reviewer": reviewers[0].pk, "organization": app.organization.pk, "reason": "亲属任职"}

    created = client.post(reverse("review_conflicts:add"), data)
    again = client.post(reverse("review_conflicts:add"), data)

    review.assignment.refresh_from_db()
    assert created.status_code == 302
    assert review.assignment.status == AssignmentStatus.CONFLICT
    assert ModelLogEntry.objects.filter(action="review.conflict.record").count() == 1
    assert again.status_code == 200
    assert again.context["form"].non_field_errors() == [
        "包含 评审专家 和 机构 的 利益冲突 已经存在。"
    ]
    assert ConflictOfInterest.objects.count() == 1
