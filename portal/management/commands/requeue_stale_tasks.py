"""Recover background tasks whose worker died (SIGKILL, OOM, machine lost).

django-tasks-db marks a task RUNNING when a worker claims it and SUCCESSFUL/FAILED when
it ends; a worker killed outright leaves it RUNNING for ever. This command (run every
minute by the ``gongyi-expire`` timer, see docs/deploy.md) finds RUNNING tasks started
more than ``--older-than`` seconds ago and, for tasks that are safe to run again
(``settings.RETRYABLE_TASKS``, e.g. PDF generation, which writes its file atomically),
puts them back to READY, up to ``--max-attempts`` claims in all; every other stale task,
and one out of attempts, is marked FAILED with the reason, visible in the admin's task
list. Safe to run on several hosts: rows are locked with SKIP LOCKED.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone


class WorkerLost(Exception):  # noqa: N818 - the name is what operators read in the admin
    """The worker running this task stopped without finishing it."""


def requeue_stale_tasks(*, older_than: timedelta, max_attempts: int, now=None) -> dict[str, int]:
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult, get_date_max

    now = now or timezone.now()
    retryable = set(getattr(settings, "RETRYABLE_TASKS", ()))
    counts = {"requeued": 0, "failed": 0}
    with transaction.atomic():
        stale = DBTaskResult.objects.select_for_update(skip_locked=True).filter(
            status=TaskResultStatus.RUNNING, started_at__lt=now - older_than
        )
        for row in stale:
            attempts = len(row.worker_ids or [])
            if row.task_path in retryable and attempts < max_attempts:
                row.status = TaskResultStatus.READY
                row.started_at = None
                row.run_after = get_date_max()
                row.save(update_fields=["status", "started_at", "run_after"])
                counts["requeued"] += 1
            else:
                reason = f"worker lost after {attempts} attempt(s); " + (
                    "not safe to retry automatically"
                    if row.task_path not in retryable
                    else "giving up"
                )
                row.set_failed(WorkerLost(reason))
                counts["failed"] += 1
    return counts


class Command(BaseCommand):
    help = "Requeue (or mark failed) background tasks whose worker died mid-task."

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=int,
            default=600,
            help="seconds a task may run before it counts as lost (default 600)",
        )
        parser.add_argument("--max-attempts", type=int, default=3)

    def handle(self, *args, older_than, max_attempts, **options):
        counts = requeue_stale_tasks(
            older_than=timedelta(seconds=older_than), max_attempts=max_attempts
        )
        self.stdout.write(f"requeued {counts['requeued']}, failed {counts['failed']}")
