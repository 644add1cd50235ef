"""A process killed in the middle of money or PDF work leaves nothing half-done.

(a) An inbox worker is SIGKILLed in the middle of a batch, after it posted the gifts'
    ledger entries but before COMMIT: PostgreSQL rolls the whole batch back, the events
    are still pending, the reservation is still held and ``expire_reservations``
    releases it; the next worker applies the batch and counts each gift exactly once,
    and a re-delivery of the event is a duplicate.
(b) A report worker SIGKILLed while rendering leaves its task RUNNING;
    ``requeue_stale_tasks`` puts it back (a fresh worker renders it) or, out of
    attempts, marks it FAILED with the reason.
"""

import json
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from funding.enums import (
    DonationSource,
    DonationStatus,
    InboundEventStatus,
    ReservationStatus,
    TransactionKind,
)
from funding.models import Donation, InboundEvent, LedgerTransaction, MatchReservation
from funding.providers.base import Notification
from funding.services.inbox import process_inbox, store_notifications
from funding.services.matching import expire_reservations, pool_available, reserve_match
from funding.services.reconcile import reconcile
from tests.factories.funding import DonationFactory, MatchingRuleFactory, funded_pool

from .servers import ROOT, server_env, signed_completed_event

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CONFIRM_AND_HANG = """
import json, os, sys, time
import django
django.setup()
from funding.services import donations, inbox

original = donations._after_counted
seen = []

def hang(donation):
    original(donation)          # ledger posted, receipt issued: everything but COMMIT
    seen.append(donation.pk)
    if len(seen) == 2:          # the second gift of the batch
        print("IN-TRANSACTION", flush=True)
        time.sleep(600)

donations._after_counted = hang
inbox.process_batch(size=50)
"""


def stored(payload: str) -> None:
    data = json.loads(payload)
    store_notifications(
        provider="stripe",
        notifications=[Notification(event_id=data["id"], event_type=data["type"], payload=data)],
    )


def run_until(
    script: str, args: list[str], marker: str, env: dict, timeout: float = 120
) -> subprocess.Popen:
    child = subprocess.Popen(  # noqa: S603 - fixed argv
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = child.stdout.readline()
        if marker in line:
            return child
        if not line and child.poll() is not None:
            raise RuntimeError(child.stderr.read()[-3000:])
    child.kill()
    raise RuntimeError(f"child never printed {marker}")


def test_worker_killed_mid_batch_writes_nothing_and_the_batch_is_applied_once(pg_url):
    MatchingRuleFactory()
    pool = funded_pool(50_000)
    gifts = [
        DonationFactory(amount=10_000, source=DonationSource.STRIPE, external_id=f"cs_killed{i}")
        for i in range(3)
    ]
    for gift in gifts:
        reserve_match(donation=gift)
    assert pool_available(pool) == 20_000
    payloads = [signed_completed_event(g.pk, 10_000, g.external_id)[0] for g in gifts]
    for payload in payloads:
        stored(payload)
    ledger_before = LedgerTransaction.objects.count()

    child = run_until(CONFIRM_AND_HANG, [], "IN-TRANSACTION", server_env(pg_url))
    child.kill()  # SIGKILL: no cleanup, no rollback from Python
    child.wait(timeout=30)

    assert set(InboundEvent.objects.values_list("status", "attempts")) == {
        (InboundEventStatus.PENDING, 0)
    }
    assert set(Donation.objects.values_list("status", flat=True)) == {DonationStatus.PENDING}
    assert LedgerTransaction.objects.count() == ledger_before
    holds = list(MatchReservation.objects.all())
    assert {h.status for h in holds} == {ReservationStatus.HELD}  # nothing was granted
    assert reconcile().ok

    # The checkouts expire meanwhile: the holds go back to the pool.
    last = max(h.expires_at for h in holds)
    assert expire_reservations(now=last + timedelta(seconds=1)) == 3
    assert pool_available(pool) == 50_000

    result = process_inbox()
    for payload in payloads:  # the provider delivers again: duplicates, nothing new
        stored(payload)
    process_inbox()

    assert (result.applied, result.failed) == (3, 0)
    assert set(Donation.objects.values_list("status", flat=True)) == {DonationStatus.SUCCEEDED}
    assert InboundEvent.objects.count() == 3
    assert (
        LedgerTransaction.objects.filter(kind=TransactionKind.DONATION).count() == 3
    )  # each gift posted once
    assert pool_available(pool) == 20_000  # late payments took what was left, once each
    assert reconcile().ok


RENDER_AND_HANG = """
import sys, time
import django
django.setup()
from django.core.management import call_command
import portal.core.reports as reports

def hang(*args, **kwargs):
    print("RENDERING", flush=True)
    time.sleep(600)

reports.render_report = hang
call_command("db_worker", "--queue-name", "*", "--interval", "0.1", "--no-reload",
             "--no-startup-delay")
"""


@pytest.fixture
def db_tasks(settings):
    """The database task backend (what production uses) instead of the immediate one."""
    from tests.ops.settings_dbtasks import TASKS

    settings.TASKS = TASKS


def enqueue_report_task(kind, obj_id, language, force):
    from portal.core.reports import enqueue_report

    return enqueue_report(kind, obj_id, language, force=force)


@pytest.fixture
def worker_env(pg_url, tmp_path):
    env = server_env(pg_url, "tests.ops.settings_dbtasks")
    env["PRIVATE_MEDIA_ROOT"] = str(tmp_path / "private")
    return env


def _task_row(result_id):
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.get(pk=result_id)


def test_report_worker_killed_mid_render_is_requeued_then_rendered(worker_env, db_tasks):
    from django.core.management import call_command

    from tests.factories.projects import ProjectFactory

    project = ProjectFactory()
    result = enqueue_report_task("project", project.pk, "zh-hans", True)

    worker = run_until(RENDER_AND_HANG, [], "RENDERING", worker_env)
    worker.kill()
    worker.wait(timeout=30)
    row = _task_row(result.id)
    assert row.status == "RUNNING"  # what a lost worker leaves behind

    call_command("requeue_stale_tasks", "--older-than", "0")
    row.refresh_from_db()
    assert row.status == "READY"
    assert len(row.worker_ids) == 1  # the attempt is remembered

    done = subprocess.run(  # noqa: S603 - fixed argv
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--queue-name",
            "*",
            "--batch",
            "--no-reload",
            "--no-startup-delay",
        ],
        cwd=ROOT,
        env=worker_env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    row.refresh_from_db()
    assert row.status == "SUCCESSFUL", row.traceback
    assert len(row.worker_ids) == 2
    # The task returns the report's name in the private storage (file system here).
    stored = Path(worker_env["PRIVATE_MEDIA_ROOT"]) / row.return_value
    assert row.return_value == f"reports/project/project-{project.pk}-zh-hans.pdf"
    assert stored.read_bytes().startswith(b"%PDF")


def test_lost_task_out_of_attempts_or_not_retryable_is_marked_failed(db_tasks):
    from django_tasks_db.models import DBTaskResult

    from portal.management.commands.requeue_stale_tasks import requeue_stale_tasks

    long_ago = timezone.now() - timedelta(hours=1)
    tired = enqueue_report_task("project", 1, "zh-hans", True)
    other = enqueue_report_task("project", 2, "zh-hans", True)
    DBTaskResult.objects.filter(pk=tired.id).update(
        status="RUNNING", started_at=long_ago, worker_ids=["a", "b", "c"]
    )
    DBTaskResult.objects.filter(pk=other.id).update(
        status="RUNNING",
        started_at=long_ago,
        worker_ids=["a"],
        task_path="funding.services.donations.some_money_task",
    )
    fresh = enqueue_report_task("project", 3, "zh-hans", True)
    DBTaskResult.objects.filter(pk=fresh.id).update(
        status="RUNNING", started_at=timezone.now(), worker_ids=["a"]
    )

    counts = requeue_stale_tasks(older_than=timedelta(minutes=10), max_attempts=3)

    assert counts == {"requeued": 0, "failed": 2}
    assert _task_row(tired.id).status == "FAILED"
    assert "giving up" in _task_row(tired.id).traceback
    assert "not safe to retry" in _task_row(other.id).traceback
    assert _task_row(fresh.id).status == "RUNNING"  # still within its time
