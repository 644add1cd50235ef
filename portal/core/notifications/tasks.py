"""Background work for notifications (django-tasks): take ids, load, send."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils import timezone
from django_tasks import task

from .models import Notification


def _email(notification: Notification) -> EmailMessage | None:
    address = notification.email or (notification.user.email if notification.user else "")
    if not address:
        return None
    body = notification.body
    if notification.url:
        link = notification.url
        if link.startswith("/"):
            link = settings.SITE_URL + link
        body = f"{body}\n\n{link}" if body else link
    return EmailMessage(subject=notification.title, body=f"{body}\n", to=[address])


@task()
def send_notification_emails(*, notification_ids: list[int]) -> int:
    """E-mail each notification not yet e-mailed; returns how many were sent.

    Safe to run again: a row is claimed (``emailed_at`` set) before its message is sent
    and released again when sending fails, so a retry sends what is left, never twice.
    Accounts without an address get nothing (their in-app notice stays)."""
    rows = list(
        Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True)
        .select_related("user")
        .order_by("pk")
    )
    messages, claimed = [], []
    for row in rows:
        message = _email(row)
        if message is None:
            continue
        if Notification.objects.filter(pk=row.pk, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        ):
            messages.append(message)
            claimed.append(row.pk)
    if not messages:
        return 0
    try:
        sent = get_connection().send_messages(messages)
    except Exception:
        Notification.objects.filter(pk__in=claimed).update(emailed_at=None)
        raise
    return sent or 0
