"""Reminders to organizations with unfinished drafts before a call closes (#15).

``send_draft_reminders`` is idempotent: a draft gets at most one reminder per threshold
(``DraftReminder``, unique per application and threshold), however often it runs. Run it
at least daily (``manage.py remind_drafts``, or the ``send_draft_reminders_task`` task)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django_tasks import task

from organizations.services import notify_members

from .enums import ApplicationStatus
from .models import Application, DraftReminder

# Days before the close, most urgent last.
THRESHOLDS = (7, 1)


def _threshold(closes_at: datetime, now: datetime) -> int | None:
    """The smallest threshold the time left is within (``None``: too early or closed)."""
    left = closes_at - now
    if left <= timedelta(0):
        return None
    within = [days for days in THRESHOLDS if left <= timedelta(days=days)]
    return min(within) if within else None


def send_draft_reminders(*, now: datetime | None = None) -> int:
    """Remind the members of every organization with a draft in a call that closes
    within 7 days (and again within 1 day): an in-app notice and an e-mail each, in
    their language, linking to the draft.

    Guarantees: at most one reminder per draft and threshold (a draft first seen within
    1 day gets only the 1-day one); drafts of closed calls and submitted or withdrawn
    applications are never reminded. Returns how many reminders (drafts) were sent."""
    now = now or timezone.now()
    drafts = (
        Application.objects.filter(
            status=ApplicationStatus.DRAFT,
            call__closes_at__gt=now,
            call__closes_at__lte=now + timedelta(days=max(THRESHOLDS)),
        )
        .select_related("call", "organization")
        .order_by("pk")
    )
    sent = 0
    for draft in drafts:
        days = _threshold(draft.call.closes_at, now)
        if days is None:
            continue
        try:
            with transaction.atomic():
                DraftReminder.objects.create(application=draft, days=days, sent_at=now)
                notify_members(
                    organization=draft.organization,
                    title=gettext_lazy("“%(call)s” closes soon"),
                    body=gettext_lazy(
                        "Your application “%(title)s” is still a draft. The call closes at "
                        "%(closes)s; submit it before then."
                    ),
                    params={
                        "call": draft.call.title,
                        "title": draft.title or draft.pk,
                        "closes": f"{timezone.localtime(draft.call.closes_at):%Y-%m-%d %H:%M}",
                    },
                    url=draft.get_absolute_url(),
                )
        except IntegrityError:
            continue  # already reminded for this threshold (or by a concurrent run)
        sent += 1
    return sent


@task()
def send_draft_reminders_task() -> int:
    """Background entry point for :func:`send_draft_reminders`."""
    return send_draft_reminders()
