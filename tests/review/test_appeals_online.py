"""The applicant's side of a decision (#15): outcome on the application page and
appeals online within the window, one per application, withdrawable until handled."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation
from wagtail.models import ModelLogEntry

from organizations.enums import MemberRole
from portal.core.notifications.models import Notification
from projects.review import services
from projects.review.enums import AppealStatus
from projects.review.models import Appeal
from tests.factories.organizations import MembershipFactory

pytestmark = pytest.mark.django_db


def _url(application, suffix=""):
    with translation.override("zh-hans"):
        return application.get_absolute_url() + suffix


def test_application_page_shows_outcome_rank_and_deadline(client, call, published, owner):
    client.force_login(owner)
    call.refresh_from_db()

    with translation.override("zh-hans"):
        body = client.get(_url(published[1])).content.decode()

    assert "评审结果" in body
    assert "项目库" in body
    assert "<dt>排名</dt><dd>2</dd>" in body
    assert timezone.localtime(call.appeal_ends_at).strftime("%Y-%m-%d %H:%M") in body
    assert f'action="{_url(published[1], "appeal/")}"' in body


def test_appeal_online_is_recorded_logged_and_notified(
    client, published, owner, officer, django_capture_on_commit_callbacks
):
    client.force_login(owner)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url(published[1], "appeal/"), {"grounds": "第二位专家漏看了预算附件"}
        )

    appeal = Appeal.objects.get()
    assert response.status_code == 302
    assert (appeal.organization, appeal.submitted_by, appeal.text, appeal.status) == (
        published[1].organization,
        owner,
        "第二位专家漏看了预算附件",
        AppealStatus.OPEN,
    )
    assert ModelLogEntry.objects.filter(action="review.appeal.submit").count() == 1
    assert Notification.objects.filter(user=owner, title="您的异议已收到").count() == 1
    assert Notification.objects.filter(user=officer).count() == 1


def test_second_appeal_is_refused_with_clear_error(client, published, owner):
    client.force_login(owner)
    client.post(_url(published[1], "appeal/"), {"grounds": "第一次"})

    response = client.post(_url(published[1], "appeal/"), {"grounds": "第二次"})

    assert response.status_code == 400
    assert "该申报已提交过异议。" in response.content.decode()
    assert list(Appeal.objects.values_list("text", flat=True)) == ["第一次"]


def test_appeal_after_deadline_is_refused(published, owner, call):
    call.refresh_from_db()

    with pytest.raises(ValidationError) as error:
        services.submit_appeal(
            application=published[1],
            by=owner,
            grounds="逾期",
            now=call.appeal_ends_at + timedelta(minutes=1),
        )

    assert error.value.messages[0].startswith("The appeal window closed on ")
    assert not Appeal.objects.exists()


def test_blank_grounds_are_refused_next_to_the_field(client, published, owner):
    client.force_login(owner)

    response = client.post(_url(published[1], "appeal/"), {"grounds": "   "})

    assert response.status_code == 400
    assert response.context["appeal_form"].errors["grounds"] == ["必需字段"]
    assert not Appeal.objects.exists()


def test_viewer_cannot_appeal(published):
    viewer = MembershipFactory(organization=published[1].organization, role=MemberRole.VIEWER).user

    with pytest.raises(PermissionDenied):
        services.submit_appeal(application=published[1], by=viewer, grounds="x")


def test_withdraw_until_handled(client, published, owner, officer):
    client.force_login(owner)
    client.post(_url(published[1], "appeal/"), {"grounds": "评分有误"})
    appeal = Appeal.objects.get()

    client.post(_url(published[1], "appeal/withdraw/"))

    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.WITHDRAWN
    assert ModelLogEntry.objects.filter(action="review.appeal.withdraw").count() == 1
    with pytest.raises(ValidationError):
        services.resolve_appeal(appeal=appeal, by=officer, upheld=True, resolution="x")


def test_handled_appeal_cannot_be_withdrawn(published, owner, officer):
    appeal = services.submit_appeal(application=published[1], by=owner, grounds="评分有误")
    services.resolve_appeal(appeal=appeal, by=officer, upheld=False, resolution="经复核维持")

    with pytest.raises(ValidationError) as error:
        services.withdraw_appeal(appeal=appeal, by=owner)

    assert error.value.messages == ["This appeal is already handled and cannot be withdrawn."]
