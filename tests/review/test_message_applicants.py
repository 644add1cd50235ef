"""Programme staff message a call's applicants (#15): all or filtered by application
status or published outcome; in-app notice and e-mail through the one dispatcher,
audit-logged, with the count; refused to anyone else."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation
from wagtail.models import PageLogEntry

from portal.core.notifications.models import Notification
from projects.enums import ApplicationStatus
from projects.review import messaging, services
from projects.review.enums import AssignmentStatus
from projects.review.models import Assignment
from tests.factories.organizations import MembershipFactory
from tests.factories.review import ApplicationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def applicants(call, config, reviewers, officer):
    """甲 funded, 乙 reserve (published); 丙 still a draft. Each organization one member,
    甲 two."""
    apps = {}
    for name, value, organization in (("甲", 9, "阳光社工"), ("乙", 7, "绿叶协会")):
        app = ApplicationFactory(call=call, title=f"项目{name}", organization__name=organization)
        for reviewer in reviewers[:2]:
            assignment = Assignment.objects.create(
                application=app, reviewer=reviewer, status=AssignmentStatus.ACCEPTED
            )
            services.save_review(
                assignment=assignment,
                by=reviewer,
                recommendation="fund",
                submit=True,
                scores={c.pk: Decimal(value) for c in config.rubric.criteria.all()},
            )
        apps[name] = app
    apps["丙"] = ApplicationFactory(
        call=call, title="项目丙", organization__name="晨曦", status=ApplicationStatus.DRAFT
    )
    members = {
        "甲": [MembershipFactory(organization=apps["甲"].organization).user for _ in range(2)],
        "乙": [MembershipFactory(organization=apps["乙"].organization).user],
        "丙": [MembershipFactory(organization=apps["丙"].organization).user],
    }
    config.funded_count, config.reserve_count, config.appeal_days = 1, 1, 7
    config.save()
    services.rank_call(call=call, by=officer)
    services.publish_results(call=call, by=officer)
    Notification.objects.all().delete()
    return apps, members


def test_message_reaches_every_applicant_member_and_is_logged(
    call, applicants, officer, django_capture_on_commit_callbacks
):
    _apps, members = applicants

    with django_capture_on_commit_callbacks(execute=True):
        sent = messaging.message_applicants(
            call=call, by=officer, subject="材料补交提醒", body="请于周五前补交预算说明。"
        )

    assert [o.name for o in sent.organizations] == ["晨曦", "绿叶协会", "阳光社工"]
    assert sorted(Notification.objects.values_list("user_id", flat=True)) == sorted(
        u.pk for group in members.values() for u in group
    )
    assert set(Notification.objects.values_list("title", "body")) == {
        ("材料补交提醒", "请于周五前补交预算说明。")
    }
    entry = PageLogEntry.objects.get(action="review.message.applicants", page=call)
    assert entry.data == {
        "subject": "材料补交提醒",
        "statuses": [],
        "outcomes": [],
        "organizations": 3,
        "people": 4,
    }


def test_filters_by_status_and_by_outcome(call, applicants, officer):
    _apps, members = applicants

    drafts = messaging.applicant_recipients(call=call, statuses=[ApplicationStatus.DRAFT])
    funded = messaging.applicant_recipients(call=call, outcomes=["funded_matched"])
    not_funded = messaging.applicant_recipients(
        call=call, outcomes=["not_funded", messaging.NOT_RANKED]
    )
    reserve_and_eligible = messaging.applicant_recipients(
        call=call, statuses=[ApplicationStatus.ELIGIBLE], outcomes=["reserve"]
    )

    assert [o.name for o in drafts.organizations] == ["晨曦"]
    assert [o.name for o in funded.organizations] == ["阳光社工"]
    assert funded.user_ids == sorted(u.pk for u in members["甲"])
    assert not_funded.organizations == []
    assert [o.name for o in reserve_and_eligible.organizations] == ["绿叶协会"]


def test_refused_without_subject_body_or_recipients(call, applicants, officer):
    with pytest.raises(ValidationError) as no_subject:
        messaging.message_applicants(call=call, by=officer, subject=" ", body="正文")
    with pytest.raises(ValidationError) as nobody:
        messaging.message_applicants(
            call=call, by=officer, subject="标题", body="正文", outcomes=["not_funded"]
        )

    assert no_subject.value.message_dict == {"subject": ["Please write a subject."]}
    assert nobody.value.messages == ["No applicant matches these filters; nothing was sent."]
    assert not Notification.objects.exists()


def test_refused_to_reviewers(call, applicants, reviewers):
    with pytest.raises(PermissionDenied):
        messaging.message_applicants(call=call, by=reviewers[0], subject="标题", body="正文")

    assert not Notification.objects.exists()


def test_admin_page_previews_then_sends_with_the_count(client, call, applicants, officer):
    officer.is_staff = True
    officer.save(update_fields=["is_staff"])
    client.force_login(officer)
    url = reverse("review:message_applicants", args=[call.pk])
    data = {"outcomes": ["funded_matched", "reserve"], "subject": "签约安排", "body": "下周签约。"}

    with translation.override("zh-hans"):
        preview = client.post(url, {**data, "action": "preview"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    previewed_without_sending = (
        PageLogEntry.objects.filter(action="review.message.applicants").exists(),
        Notification.objects.count(),
    )
    with translation.override("zh-hans"):
        sent = client.post(
            url, {**data, "action": "send"}, HTTP_ACCEPT_LANGUAGE="zh-hans", follow=True
        )

    assert "此消息将发送给 2 个机构的 3 人：" in preview.content.decode()
    assert "<li>绿叶协会</li>" in preview.content.decode()
    assert previewed_without_sending == (False, 0)
    assert "消息已发送给 2 个机构的 3 人。" in sent.content.decode()
    assert Notification.objects.count() == 3
    assert PageLogEntry.objects.filter(action="review.message.applicants").count() == 1


def test_admin_page_shows_errors_next_to_the_fields(client, call, applicants, officer):
    officer.is_staff = True
    officer.save(update_fields=["is_staff"])
    client.force_login(officer)
    url = reverse("review:message_applicants", args=[call.pk])

    with translation.override("zh-hans"):
        response = client.post(
            url, {"action": "send", "subject": "", "body": "正文"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
        )

    assert response.status_code == 400
    assert response.context["form"].errors["subject"] == ["请填写标题。"]
    assert not Notification.objects.exists()
