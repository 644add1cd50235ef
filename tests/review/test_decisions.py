from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.utils import timezone, translation
from wagtail.models import PageLogEntry

from portal.core.notifications.models import Notification
from projects.enums import CallState, ProjectStatus, ProjectTier
from projects.models import Project
from projects.review import services, tasks
from projects.review.enums import AppealStatus, AssignmentStatus
from projects.review.models import Assignment, Decision
from tests.factories.organizations import MembershipFactory
from tests.factories.review import ApplicationFactory


@pytest.fixture
def ranked(call, config, reviewers, officer):
    """Three applications, one reviewer (σ > 0): totals 90, 60, 30 → ranks 1, 2, 3."""
    apps = []
    criteria = list(config.rubric.criteria.all())
    for value in (9, 6, 3):
        application = ApplicationFactory(call=call, title=f"项目{value}")
        MembershipFactory(organization=application.organization)
        assignment = Assignment.objects.create(
            application=application, reviewer=reviewers[0], status=AssignmentStatus.ACCEPTED
        )
        services.save_review(
            assignment=assignment,
            by=reviewers[0],
            recommendation="fund",
            submit=True,
            scores={c.pk: Decimal(value) for c in criteria},
        )
        apps.append(application)
    config.funded_count, config.reserve_count, config.appeal_days = 1, 1, 7
    config.reviewers_per_application = 1
    config.save()
    services.rank_call(call=call, by=officer)
    return apps


def test_publish_results_creates_decisions_projects_and_notice(
    call, ranked, officer, django_capture_on_commit_callbacks
):
    now = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        published = services.publish_results(call=call, by=officer, now=now)

    call.refresh_from_db()
    decisions = list(Decision.objects.filter(call=call).order_by("rank"))
    assert published == 3
    assert [(d.rank, d.tier) for d in decisions] == [
        (1, ProjectTier.FUNDED_MATCHED),
        (2, ProjectTier.RESERVE),
        (3, ProjectTier.NOT_FUNDED),
    ]
    assert [d.project.tier if d.project else None for d in decisions] == [
        ProjectTier.FUNDED_MATCHED,
        ProjectTier.RESERVE,
        None,
    ]
    assert decisions[0].project.status == ProjectStatus.APPROVED
    assert decisions[0].project.organization_id == ranked[0].organization_id
    assert (call.notice_published_at, call.appeal_ends_at) == (now, now + timedelta(days=7))
    assert call.state(now) == CallState.PUBLIC_NOTICE
    assert Notification.objects.filter(title__contains=call.title).count() == 3
    assert len(mail.outbox) == 3
    assert PageLogEntry.objects.filter(action="review.publish", page=call).count() == 1


def test_republish_after_boundary_change_updates_projects(call, config, ranked, officer):
    services.publish_results(call=call, by=officer)
    config.funded_count, config.reserve_count = 0, 1
    config.save()

    services.publish_results(call=call, by=officer)

    tiers = list(
        Decision.objects.filter(call=call).order_by("rank").values_list("tier", "project__tier")
    )
    assert tiers == [
        (ProjectTier.RESERVE, ProjectTier.RESERVE),
        (ProjectTier.NOT_FUNDED, ProjectTier.NOT_FUNDED),
        (ProjectTier.NOT_FUNDED, None),
    ]
    assert Project.objects.filter(call=call).count() == 2


def test_publish_without_ranking_is_refused(call, config, officer):
    with pytest.raises(ValidationError) as error:
        services.publish_results(call=call, by=officer)

    assert error.value.messages == ["Rank the call before publishing the results."]


def test_publish_without_tier_boundaries_is_refused(call, config, ranked, officer):
    config.funded_count = config.reserve_count = 0
    config.save()

    with pytest.raises(ValidationError) as error:
        services.publish_results(call=call, by=officer)

    assert error.value.messages == ["Set the tier boundaries (funded and reserve counts) first."]


def test_appeal_recorded_and_resolved(call, ranked, officer):
    services.publish_results(call=call, by=officer)
    decision = Decision.objects.get(rank=2)
    appeal = services.record_appeal(
        decision=decision, appellant="某机构", text="评分有误", by=officer
    )

    services.resolve_appeal(appeal=appeal, by=officer, upheld=False, resolution="经复核维持")

    appeal.refresh_from_db()
    assert (appeal.status, appeal.resolution, appeal.resolved_by) == (
        AppealStatus.DISMISSED,
        "经复核维持",
        officer,
    )
    with pytest.raises(ValidationError):
        services.resolve_appeal(appeal=appeal, by=officer, upheld=True, resolution="再改")


def test_results_include_shows_org_names_after_publication(call, ranked, officer):
    template = Template("{% load review_tags %}{% call_results call %}")
    before = template.render(Context({"call": call}))
    services.publish_results(call=call, by=officer)
    call.refresh_from_db()

    with translation.override("zh-hans"):
        zh = template.render(Context({"call": call}))
    with translation.override("en"):
        en = template.render(Context({"call": call}))

    assert before.strip() == ""
    assert ranked[0].organization.name in zh
    assert "资助并配捐" in zh
    assert "Funded and matched" in en
    assert "Review results (public notice)" in en
    assert "评审结果公示" in zh


def test_reminders_go_to_reviewers_with_outstanding_work(
    call, config, reviewers, django_capture_on_commit_callbacks
):
    application = ApplicationFactory(call=call)
    Assignment.objects.create(application=application, reviewer=reviewers[0])
    Assignment.objects.create(
        application=application,
        reviewer=reviewers[1],
        status=AssignmentStatus.CONFLICT,
        conflict_reason="x",
    )

    with django_capture_on_commit_callbacks(execute=True):
        sent = tasks.send_reviewer_reminders.call(call_id=call.pk)

    assert sent == 1
    assert [m.to for m in mail.outbox] == [[reviewers[0].email]]
    assert mail.outbox[0].subject == "您有待完成的评审"
    assert mail.outbox[0].body.startswith(
        "您还有 1 份评审尚未完成。\n\nhttp://127.0.0.1:8000/admin/"
    )


def test_call_page_shows_the_public_notice_ranking(client, call, ranked, officer):
    before = client.get(call.url).content.decode()

    services.publish_results(call=call, by=officer)
    after = client.get(call.url).content.decode()

    assert "评审结果" not in before
    assert ranked[0].organization.name in after
    assert "资助并配捐" in after
