"""Reminders to organizations with unfinished drafts, 7 days and 1 day before a call
closes (#15): never twice for the same draft and threshold."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from portal.core.notifications.models import Notification
from projects.enums import ApplicationStatus
from projects.models import Application, DraftReminder
from projects.reminders import send_draft_reminders
from tests.factories.organizations import MembershipFactory
from tests.factories.projects import make_call


def _draft(call, title, status=ApplicationStatus.DRAFT):
    member = MembershipFactory()
    return Application.objects.create(
        call=call, organization=member.organization, title=title, status=status
    ), member.user


@pytest.fixture
def closing(site_pages):
    """A call closing in 5 days with a draft and a submitted application, and a call
    closing in 10 days with a draft."""
    now = timezone.now()
    soon = make_call(closes_at=now + timedelta(days=5))
    later = make_call(closes_at=now + timedelta(days=10))
    draft, owner = _draft(soon, "社区老人助餐")
    _draft(soon, "已提交项目", status=ApplicationStatus.SUBMITTED)
    _draft(later, "十天后截止的草稿")
    return now, soon, draft, owner


def test_seven_days_before_the_close_each_draft_is_reminded_once(closing):
    now, soon, draft, owner = closing

    first = send_draft_reminders(now=now)
    again = send_draft_reminders(now=now + timedelta(hours=6))

    notice = Notification.objects.get(user=owner)
    assert (first, again) == (1, 0)
    assert list(DraftReminder.objects.values_list("application_id", "days")) == [(draft.pk, 7)]
    assert notice.title == f"“{soon.title}”即将截止"
    closes = f"{timezone.localtime(soon.closes_at):%Y-%m-%d %H:%M}"
    assert notice.body == (
        f"贵机构的申请“社区老人助餐”仍是草稿。征集将于 {closes} 截止，请在此之前提交。"
    )
    assert notice.url.endswith(f"/applications/{draft.pk}/")


def test_one_day_before_the_close_a_second_reminder_then_none(closing):
    now, soon, draft, owner = closing
    send_draft_reminders(now=now)
    last_day = soon.closes_at - timedelta(hours=20)

    sent = [send_draft_reminders(now=last_day), send_draft_reminders(now=last_day)]

    reminders = sorted(DraftReminder.objects.values_list("application__title", "days"))
    # By then the call closing in ten days is within seven days too: its 7-day one.
    assert sent == [2, 0]
    assert reminders == [("十天后截止的草稿", 7), ("社区老人助餐", 1), ("社区老人助餐", 7)]
    assert Notification.objects.filter(user=owner).count() == 2


def test_a_submitted_draft_or_a_closed_call_gets_no_reminder(closing):
    now, soon, draft, owner = closing
    Application.objects.filter(pk=draft.pk).update(status=ApplicationStatus.SUBMITTED)

    sent = [send_draft_reminders(now=now), send_draft_reminders(now=soon.closes_at)]

    reminded = list(DraftReminder.objects.values_list("application__title", flat=True))
    # At the first call's close only the other call's draft (closing 5 days later) is due.
    assert sent == [0, 1]
    assert reminded == ["十天后截止的草稿"]
    assert not Notification.objects.filter(user=owner).exists()


def test_remind_drafts_command_reports_what_it_sent(closing):
    out = StringIO()

    call_command("remind_drafts", stdout=out)
    call_command("remind_drafts", stdout=out)

    assert out.getvalue().splitlines() == [
        "1 draft reminder(s) sent.",
        "0 draft reminder(s) sent.",
    ]
