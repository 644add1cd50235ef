from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from organizations.enums import MemberRole, VerificationStatus
from portal.core.notifications.models import Notification
from projects import services
from projects.enums import ApplicationStatus, ApplicationStep
from projects.models import Application, ApplicationRevision
from tests.factories.organizations import MembershipFactory, UserFactory
from tests.factories.projects import make_call

pytestmark = pytest.mark.django_db


def _staff():
    from django.contrib.auth.models import Group

    from organizations.roles import PROGRAMME_OFFICER

    officer = UserFactory(username="officer-x")
    officer.groups.add(Group.objects.get_or_create(name=PROGRAMME_OFFICER)[0])
    return officer


def test_start_application_twice_for_same_call_is_refused(call, member, application):
    with pytest.raises(services.ApplicationError) as excinfo:
        services.start_application(call=call, organization=member.organization, by=member.user)

    assert excinfo.value.messages == ["贵机构已经有一份本次征集的申请。"]
    assert Application.objects.filter(call=call).count() == 1


def test_unique_constraint_blocks_second_active_application_in_database(call, application):
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.create(call=call, organization=application.organization)


def test_start_application_allowed_twice_when_call_allows_multiple(site_pages, member):
    call = make_call(allow_multiple_applications=True)

    services.start_application(call=call, organization=member.organization, by=member.user)
    services.start_application(call=call, organization=member.organization, by=member.user)

    assert Application.objects.filter(call=call).count() == 2


def test_start_application_refused_for_unverified_organization(call):
    membership = MembershipFactory(organization__status=VerificationStatus.SUBMITTED)

    with pytest.raises(services.ApplicationError) as excinfo:
        services.start_application(
            call=call, organization=membership.organization, by=membership.user
        )

    assert excinfo.value.messages == ["本次征集仅接受已认证的社会组织申报。"]


def test_start_application_refused_for_viewer(call):
    membership = MembershipFactory(role=MemberRole.VIEWER)

    with pytest.raises(PermissionDenied):
        services.start_application(
            call=call, organization=membership.organization, by=membership.user
        )


def test_submit_complete_application_records_revision_event_and_notifies(
    complete, member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.submit_application(application=complete, by=member.user)

    complete.refresh_from_db()
    assert complete.status == ApplicationStatus.SUBMITTED
    assert complete.requested_amount == 1_500_000
    assert complete.self_funding_amount == 600_000
    assert list(complete.revisions.values_list("number", flat=True)) == [1]
    assert complete.revisions.get().snapshot["title"] == "长者饭堂暖心助餐"
    assert list(complete.events.values_list("to_status", flat=True)) == ["draft", "submitted"]
    assert Notification.objects.filter(user=member.user).count() == 1
    assert [m.to for m in mail.outbox] == [[member.user.email]]
    assert "长者饭堂暖心助餐" in mail.outbox[0].subject


def test_submit_refused_when_steps_are_missing(application, member):
    with pytest.raises(services.ApplicationError) as excinfo:
        services.submit_application(application=application, by=member.user)

    assert excinfo.value.messages[0].startswith("以下步骤尚未完成：基本信息, 需求分析")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DRAFT


def test_submit_one_second_before_close_is_accepted(complete, member):
    closes = complete.call.closes_at

    with time_machine.travel(closes - timedelta(seconds=1), tick=False):
        services.submit_application(application=complete, by=member.user)

    complete.refresh_from_db()
    assert complete.status == ApplicationStatus.SUBMITTED


def test_submit_one_second_after_close_is_refused_clearly(complete, member):
    closes = complete.call.closes_at

    with time_machine.travel(closes + timedelta(seconds=1), tick=False):
        with pytest.raises(services.ApplicationError) as excinfo:
            services.submit_application(application=complete, by=member.user)

    local = timezone.localtime(closes).strftime("%Y-%m-%d %H:%M:%S")
    assert excinfo.value.messages == [f"本次征集已于 {local} 截止，不能再提交申请。"]
    complete.refresh_from_db()
    assert complete.status == ApplicationStatus.DRAFT
    assert ApplicationRevision.objects.count() == 0


def test_submit_twice_second_is_refused_and_only_one_revision(complete, member):
    services.submit_application(application=complete, by=member.user)

    with pytest.raises(services.ApplicationError) as excinfo:
        services.submit_application(application=complete, by=member.user)

    assert excinfo.value.messages == ["此申请已经提交。"]
    assert complete.revisions.count() == 1


def test_submit_refused_when_request_exceeds_call_cap(site_pages, member, service_item):
    from tests.projects.conftest import valid_answers

    call = make_call(per_project_cap=1_000_000)
    application = Application.objects.create(call=call, organization=member.organization)
    answers = valid_answers(region_id=member.organization.region_id, item_id=service_item.pk)
    for step, content in answers.items():
        services.save_step_answers(
            application=application, step=step, answers=content, by=member.user
        )

    with pytest.raises(services.ApplicationError) as excinfo:
        services.submit_application(application=application, by=member.user)

    assert excinfo.value.messages == [
        "申请金额（¥15,000.00）超过了本次征集的单个项目上限 ¥10,000.00。"
    ]


def test_submitted_application_is_read_only(complete, member):
    services.submit_application(application=complete, by=member.user)

    with pytest.raises(services.ApplicationError):
        services.save_step_draft(
            application=complete, step=ApplicationStep.BASIC, raw={"title": ["改"]}, by=member.user
        )


def test_withdraw_while_open_then_new_application_allowed(complete, member):
    services.submit_application(application=complete, by=member.user)

    services.withdraw_application(application=complete, by=member.user)
    again = services.start_application(
        call=complete.call, organization=member.organization, by=member.user
    )

    complete.refresh_from_db()
    assert complete.status == ApplicationStatus.WITHDRAWN
    assert again.status == ApplicationStatus.DRAFT


def test_withdraw_after_close_is_refused(complete, member):
    services.submit_application(application=complete, by=member.user)

    with time_machine.travel(complete.call.closes_at + timedelta(seconds=1), tick=False):
        with pytest.raises(services.ApplicationError):
            services.withdraw_application(application=complete, by=member.user)


def test_return_and_resubmit_after_close_keeps_revisions(complete, member):
    officer = _staff()
    services.submit_application(application=complete, by=member.user)
    closes = complete.call.closes_at

    with time_machine.travel(closes + timedelta(days=1), tick=False):
        services.return_application(
            application=complete,
            by=officer,
            message="请补充场地证明",
            deadline=timezone.now() + timedelta(days=3),
        )
        basic = dict(complete.answers[ApplicationStep.BASIC], title="长者饭堂暖心助餐（修订）")
        services.save_step_answers(
            application=complete, step=ApplicationStep.BASIC, answers=basic, by=member.user
        )
        services.submit_application(application=complete, by=member.user)

    complete.refresh_from_db()
    assert complete.status == ApplicationStatus.RESUBMITTED
    assert list(complete.revisions.values_list("number", flat=True)) == [1, 2]
    assert list(complete.events.values_list("to_status", flat=True)) == [
        "draft",
        "submitted",
        "returned",
        "resubmitted",
    ]
    assert complete.events.get(to_status="returned").message == "请补充场地证明"


def test_resubmit_after_return_deadline_is_refused(complete, member):
    officer = _staff()
    services.submit_application(application=complete, by=member.user)
    deadline = timezone.now() + timedelta(days=2)
    services.return_application(
        application=complete, by=officer, message="补材料", deadline=deadline
    )

    with time_machine.travel(deadline + timedelta(seconds=1), tick=False):
        with pytest.raises(services.ApplicationError) as excinfo:
            services.submit_application(application=complete, by=member.user)

    assert excinfo.value.messages == ["补充材料的截止时间已过。"]


def test_applicant_cannot_screen_own_application(complete, member):
    services.submit_application(application=complete, by=member.user)

    with pytest.raises(PermissionDenied):
        services.screen_application(application=complete, by=member.user, eligible=True)


def test_transition_not_in_table_is_refused(application):
    officer = _staff()

    with pytest.raises(services.ApplicationError) as excinfo:
        services.screen_application(application=application, by=officer, eligible=True)

    assert excinfo.value.messages == ["状态为“草稿”的申请不能变为“符合资格”。"]


def test_ineligible_requires_reason_and_notifies(complete, member):
    officer = _staff()
    services.submit_application(application=complete, by=member.user)
    with pytest.raises(services.ApplicationError):
        services.screen_application(application=complete, by=officer, eligible=False)

    services.screen_application(
        application=complete, by=officer, eligible=False, reason="注册地不在本区"
    )

    complete.refresh_from_db()
    assert complete.status == ApplicationStatus.INELIGIBLE
    assert complete.screening_reason == "注册地不在本区"
    assert Notification.objects.filter(user=member.user, body="注册地不在本区").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_tabs_submitting_at_once_create_one_revision(complete, member):
    import threading

    from django.db import connection

    barrier = threading.Barrier(2)
    outcomes = []

    def submit():
        barrier.wait()
        try:
            services.submit_application(application=complete, by=member.user)
            outcomes.append("ok")
        except services.ApplicationError as exc:
            outcomes.append(exc.messages[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["ok", "此申请已经提交。"]
    assert complete.revisions.count() == 1
    assert complete.events.filter(to_status="submitted").count() == 1
