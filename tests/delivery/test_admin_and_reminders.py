from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from projects.delivery import services
from projects.delivery.enums import DeliveryStage, ReportKind, ReportStatus
from projects.delivery.models import ReminderLog
from projects.delivery.tasks import send_reminders
from tests.factories.delivery import make_delivery, make_member, make_milestone, pdf_upload

pytestmark = pytest.mark.django_db


def test_admin_list_filters_and_forbids_non_staff(client, officer, active, member):
    make_delivery()  # agreement pending
    client.force_login(officer)

    everything = client.get(reverse("delivery_list:index")).content.decode()
    in_progress = client.get(
        reverse("delivery_list:index"), {"stage": "in_progress"}
    ).content.decode()
    client.force_login(member)
    denied = client.get(reverse("delivery_admin:detail", args=[active.pk]))

    assert everything.count('href="/admin/delivery/') == 2
    assert in_progress.count('href="/admin/delivery/') == 1
    assert active.project.title in in_progress
    assert denied.status_code in (302, 403)


def test_admin_list_query_count_constant(client, officer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(officer)
    make_delivery()
    client.get(reverse("delivery_list:index"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("delivery_list:index"))
    make_delivery()
    make_delivery()

    with CaptureQueriesContext(connection) as three:
        response = client.get(reverse("delivery_list:index"))
    assert len(three.captured_queries) == len(one.captured_queries)

    assert response.content.decode().count('href="/admin/delivery/') == 3


def test_staff_run_the_stages_from_the_admin(client, officer, delivery):
    client.force_login(officer)
    url = reverse("delivery_admin:detail", args=[delivery.pk])

    page = client.get(url).content.decode()
    unchosen = client.post(url, {"action": "advance", "to_stage": ""})
    refused = client.post(url, {"action": "advance", "to_stage": "in_progress"})
    client.post(
        url, {"action": "agreement", "file": pdf_upload("协议.pdf"), "signed_on": "2026-01-02"}
    )
    moved = client.post(url, {"action": "advance", "to_stage": "in_progress", "note": "开工"})

    assert '<option value="" selected>— 请选择阶段 —</option>' in page
    assert unchosen.status_code == 400
    assert refused.status_code == 400
    assert "请先上传已签署的协议及签署日期。" in refused.content.decode()
    assert moved.status_code == 302
    delivery.refresh_from_db()
    assert delivery.stage == DeliveryStage.IN_PROGRESS
    assert delivery.agreement_signed_on == date(2026, 1, 2)
    assert ModelLogEntry.objects.filter(action="delivery.agreement").count() == 1


def test_staff_return_then_accept_a_report_in_the_admin(client, officer, active, member):
    report = services.submit_report(
        delivery=active,
        by=member,
        kind=ReportKind.INTERIM,
        period_end=date(2026, 2, 1),
        narrative="季度报告",
        beneficiaries_reached=3,
        today=date(2026, 2, 2),
    )
    client.force_login(officer)
    url = reverse("delivery_admin:report", args=[active.pk, report.pk])

    page = client.get(url).content.decode()
    empty = client.post(url, {"decision": "return", "message": ""})
    returned = client.post(url, {"decision": "return", "message": "请补充签到表"})

    assert "季度报告" in page
    assert empty.status_code == 400
    assert returned.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.return_message) == (ReportStatus.RETURNED, "请补充签到表")
    entry = ModelLogEntry.objects.get(action="delivery.report.return")
    assert entry.user_id == officer.pk


def test_start_delivery_action_for_a_reserve_project(client, officer):
    from projects.enums import ProjectStatus, ProjectTier
    from tests.factories.projects import ProjectFactory

    project = ProjectFactory(status=ProjectStatus.APPROVED, tier=ProjectTier.RESERVE)
    client.force_login(officer)

    listed = client.get(reverse("delivery_admin:start")).content.decode()
    response = client.post(reverse("delivery_admin:start"), {"project": project.pk})

    assert project.title in listed
    assert response.status_code == 302
    assert project.delivery.stage == DeliveryStage.AGREEMENT_PENDING


def test_reminders_for_overdue_milestones_and_reports_once_a_day(
    active, member, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    make_milestone(active, title="入户调研", due_on=today - timedelta(days=3))
    make_milestone(active, title="未到期", due_on=today + timedelta(days=3))
    active.agreement_signed_on = today - timedelta(days=120)
    active.save()
    pending = make_delivery(stage="in_progress", agreement_signed_on=today - timedelta(days=10))
    make_member(pending)

    with django_capture_on_commit_callbacks(execute=True):
        first = send_reminders(today=today)
    with django_capture_on_commit_callbacks(execute=True):
        second = send_reminders(today=today)

    assert (first, second) == (2, 0)
    subjects = sorted(m.subject for m in mail.outbox)
    assert subjects == sorted(["里程碑已逾期：入户调研", f"进展报告到期：{active.project.title}"])
    assert all(m.to == [member.email] for m in mail.outbox)
    assert ReminderLog.objects.count() == 2


def test_reminder_command_runs_the_task(active, member, django_capture_on_commit_callbacks, capsys):
    make_milestone(active, due_on=timezone.localdate() - timedelta(days=1))
    active.agreement_signed_on = timezone.localdate() - timedelta(days=5)  # no report due
    active.save()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_delivery_reminders")
        call_command("send_delivery_reminders")

    out = capsys.readouterr().out
    assert out.splitlines() == ["1 reminder(s) sent.", "0 reminder(s) sent."]


def test_no_report_reminder_while_a_report_awaits_a_decision(active, member):
    active.agreement_signed_on = date(2025, 1, 1)
    active.save()
    services.submit_report(
        delivery=active,
        by=member,
        kind=ReportKind.INTERIM,
        period_end=date(2025, 2, 1),
        narrative="x",
        beneficiaries_reached=1,
        today=date(2025, 2, 2),
    )

    assert send_reminders(today=date(2026, 1, 1)) == 0
