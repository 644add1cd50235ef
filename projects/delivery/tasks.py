"""Background work for delivery (django-tasks): overdue reminders."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django_tasks import task

from .enums import REPORT_INTERVAL_DAYS
from .models import ReminderLog
from .selectors import overdue_milestones, overdue_report_deliveries


def _claim(delivery_id: int, kind: str, today: date) -> bool:
    """Record that a reminder goes out today; False when one already did (the unique
    constraint decides, so two runs at once still send one)."""
    try:
        with transaction.atomic():
            ReminderLog.objects.create(delivery_id=delivery_id, kind=kind, sent_on=today)
    except IntegrityError:
        return False
    return True


def send_reminders(*, today: date | None = None) -> int:
    """Notify the organizations of overdue milestones and overdue progress reports, at
    most once per delivery, kind and day. Returns how many reminders were sent."""
    from organizations.services import notify_members

    today = today or timezone.localdate()
    sent = 0
    for milestone in overdue_milestones(today):
        delivery = milestone.delivery
        if not _claim(delivery.pk, f"milestone:{milestone.pk}", today):
            continue
        with transaction.atomic():
            notify_members(
                organization=delivery.project.organization,
                title=gettext_lazy("Milestone overdue: %(title)s"),
                body=gettext_lazy(
                    "“%(milestone)s” of “%(project)s” was due on %(due)s. Report on it "
                    "or tell the programme officer."
                ),
                params={
                    "title": milestone.title,
                    "milestone": milestone.title,
                    "project": delivery.project.title,
                    "due": milestone.due_on,
                },
                url=reverse("delivery:detail", kwargs={"pk": delivery.pk}),
            )
        sent += 1
    for delivery in overdue_report_deliveries(today):
        if not _claim(delivery.pk, "report", today):
            continue
        with transaction.atomic():
            notify_members(
                organization=delivery.project.organization,
                title=gettext_lazy("Progress report due: %(project)s"),
                body=gettext_lazy(
                    "Funded projects report progress at least every %(days)d days. "
                    "Please submit a progress report."
                ),
                params={"project": delivery.project.title, "days": REPORT_INTERVAL_DAYS},
                url=reverse("delivery:report_create", kwargs={"pk": delivery.pk}),
            )
        sent += 1
    return sent


@task()
def send_delivery_reminders() -> int:
    """Task wrapper of ``send_reminders`` (today's date)."""
    return send_reminders()
