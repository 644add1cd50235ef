from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from organizations.roles import PROGRAMME_OFFICER
from portal.core.notifications.models import Notification
from projects import services
from projects.enums import ApplicationStatus, NeedStatus
from tests.factories.organizations import UserFactory
from tests.factories.projects import CommunityNeedFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(db):
    from django.contrib.auth.models import Permission

    user = UserFactory(username="officer")
    group, _ = Group.objects.get_or_create(name=PROGRAMME_OFFICER)
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    user.groups.add(group)
    return user


def _inspect_url(application):
    return reverse("wagtailsnippets_projects_application:inspect", args=[application.pk])


def test_staff_screens_application_eligible_in_admin(client, officer, complete, user):
    services.submit_application(application=complete, by=user)
    client.force_login(officer)

    page = client.get(_inspect_url(complete))
    response = client.post(_inspect_url(complete), {"decision": "eligible", "reason": ""})

    assert "资格审查结论" in page.content.decode() or "Screening decision" in page.content.decode()
    assert response.status_code == 302
    complete.refresh_from_db()
    assert complete.status == ApplicationStatus.ELIGIBLE
    assert Notification.objects.filter(user=user).count() == 2


def test_staff_return_without_deadline_is_refused_and_kept(client, officer, complete, user):
    services.submit_application(application=complete, by=user)
    client.force_login(officer)

    response = client.post(
        _inspect_url(complete), {"decision": "returned", "reason": "请补充预算说明"}
    )

    assert response.status_code == 400
    assert "请补充预算说明" in response.content.decode()
    complete.refresh_from_db()
    assert complete.status == ApplicationStatus.SUBMITTED


def test_admin_shows_diff_between_revisions(client, officer, complete, user):
    services.submit_application(application=complete, by=user)
    services.return_application(
        application=complete,
        by=officer,
        message="改标题",
        deadline=timezone.now() + timedelta(days=2),
    )
    basic = dict(complete.answers["basic"], title="新的项目名称")
    services.save_step_answers(application=complete, step="basic", answers=basic, by=user)
    services.submit_application(application=complete, by=user)
    client.force_login(officer)

    response = client.get(_inspect_url(complete))

    html = response.content.decode()
    assert "<del>长者饭堂暖心助餐</del>" in html
    assert "<ins>新的项目名称</ins>" in html


def test_applicant_cannot_open_admin_screening(client, complete, user):
    services.submit_application(application=complete, by=user)
    client.force_login(user)

    response = client.get(_inspect_url(complete))

    assert response.status_code in (302, 403)
    complete.refresh_from_db()
    assert complete.status == ApplicationStatus.SUBMITTED


def test_bulk_mark_ineligible_with_reason(client, officer, complete, user):
    services.submit_application(application=complete, by=user)
    client.force_login(officer)
    url = reverse("wagtail_bulk_action", args=["projects", "application", "mark_ineligible"])

    response = client.post(f"{url}?id={complete.pk}", {"reason": "不在服务范围"})

    assert response.status_code == 302
    complete.refresh_from_db()
    assert complete.status == ApplicationStatus.INELIGIBLE
    assert complete.screening_reason == "不在服务范围"


def test_bulk_mark_eligible_skips_drafts(client, officer, complete, application, user):
    client.force_login(officer)
    url = reverse("wagtail_bulk_action", args=["projects", "application", "mark_eligible"])

    client.post(f"{url}?id={complete.pk}", {})

    complete.refresh_from_db()
    assert complete.status == ApplicationStatus.DRAFT


def test_call_listing_shows_per_call_counts(client, officer, complete, user, site_pages):
    from tests.factories.organizations import MembershipFactory

    services.submit_application(application=complete, by=user)
    other = MembershipFactory(user=UserFactory(username="other-owner"))
    services.start_application(call=complete.call, organization=other.organization, by=other.user)
    client.force_login(officer)
    officer.is_superuser = True
    officer.save()

    response = client.get(reverse("calls:index"))

    rows = {row.title: row for row in response.context["object_list"]}
    call = rows[complete.call.title]
    assert (call.n_drafts, call.n_submitted, call.n_screened) == (1, 1, 0)


def test_staff_moderates_need_publish_and_decline(client, officer):
    pending = CommunityNeedFactory(status=NeedStatus.PENDING)
    other = CommunityNeedFactory(status=NeedStatus.PENDING)
    client.force_login(officer)
    url = reverse("wagtailsnippets_projects_communityneed:inspect", args=[pending.pk])
    other_url = reverse("wagtailsnippets_projects_communityneed:inspect", args=[other.pk])

    client.post(url, {"action": "publish"})
    client.post(other_url, {"action": "decline", "reason": "不属于社区服务"})

    pending.refresh_from_db()
    other.refresh_from_db()
    assert pending.status == NeedStatus.PUBLISHED
    assert other.status == NeedStatus.DECLINED
    assert other.decline_reason == "不属于社区服务"
    assert Notification.objects.filter(user=other.author).get().body == "不属于社区服务"


def test_catalogue_is_managed_in_admin(client):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(admin)

    response = client.post(
        reverse("wagtailsnippets_projects_servicecategory:add"),
        {"code": "Z9", "name": "社区养老", "name_en": "", "description": "", "sort_order": "9"},
    )

    from projects.models import ServiceCategory

    assert response.status_code == 302
    assert ServiceCategory.objects.get(code="Z9").name == "社区养老"


def test_bulk_return_with_past_deadline_is_refused(client, officer, complete, user):
    services.submit_application(application=complete, by=user)
    client.force_login(officer)
    url = reverse("wagtail_bulk_action", args=["projects", "application", "return_for_information"])
    past = (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    future = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")

    refused = client.post(f"{url}?id={complete.pk}", {"message": "补材料", "deadline": past})
    complete.refresh_from_db()
    status_after_refusal = complete.status
    client.post(f"{url}?id={complete.pk}", {"message": "补材料", "deadline": future})

    assert refused.status_code == 200
    assert status_after_refusal == ApplicationStatus.SUBMITTED
    complete.refresh_from_db()
    assert complete.status == ApplicationStatus.RETURNED
    assert complete.return_message == "补材料"
