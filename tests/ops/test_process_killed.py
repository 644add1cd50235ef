"""A process killed in the middle of money or PDF work leaves nothing half-done.

(a) A donation confirmation (the real webhook path) is SIGKILLed after it posted its
    ledger entries but before COMMIT: PostgreSQL rolls the whole transaction back, the
    reservation is still held and ``expire_reservations`` releases it; Stripe's
    redelivery then counts the gift exactly once.
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

from funding.enums import DonationSource, DonationStatus, ReservationStatus, TransactionKind
from funding.models import Donation, LedgerTransaction, MatchReservation
from funding.services.matching import expire_reservations, pool_available, reserve_match
from funding.services.reconcile import reconcile
from funding.services.webhooks import process_stripe_event
from tests.factories.funding import DonationFactory, MatchingRuleFactory, funded_pool

from .servers import ROOT, server_env, signed_completed_event

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CONFIRM_AND_HANG = """
import json, os, sys, time
import django
django.setup()
from funding.services import donations, webhooks

original = donations._after_counted

def hang(donation):
    original(donation)          # ledger posted, receipt issued: everything but COMMIT
    print("IN-TRANSACTION", flush=True)
    time.sleep(600)

donations._after_counted = hang
webhooks.process_stripe_event(json.loads(sys.argv[1]))
"""


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


def test_confirmation_killed_before_commit_writes_nothing_and_expiry_releases(pg_url):
    MatchingRuleFactory()
    pool = funded_pool(50_000)
    donation = DonationFactory(amount=10_000, source=DonationSource.STRIPE, external_id="cs_killed")
    reserve_match(donation=donation)
    assert pool_available(pool) == 40_000
    payload, _ = signed_completed_event(donation.pk, 10_000, "cs_killed")
    ledger_before = LedgerTransaction.objects.count()

    child = run_until(CONFIRM_AND_HANG, [payload], "IN-TRANSACTION", server_env(pg_url))
    child.kill()  # SIGKILL: no cleanup, no rollback from Python
    child.wait(timeout=30)

    donation.refresh_from_db()
    assert donation.status == DonationStatus.PENDING
    assert LedgerTransaction.objects.count() == ledger_before
    assert not LedgerTransaction.objects.filter(
        kind=TransactionKind.DONATION, donation=donation
    ).exists()
    held = MatchReservation.objects.get(donation=donation)
    assert held.status == ReservationStatus.HELD  # the hold survived, nothing was granted
    assert reconcile().ok

    assert expire_reservations(now=held.expires_at + timedelta(seconds=1)) == 1
    held.refresh_from_db()
    assert held.status != ReservationStatus.HELD
    assert pool_available(pool) == 50_000

    # Stripe redelivers the event: the gift counts once (with whatever match is left).
    process_stripe_event(json.loads(payload))
    process_stripe_event(json.loads(payload))
    assert Donation.objects.get(pk=donation.pk).status == DonationStatus.SUCCEEDED
    assert (
        LedgerTransaction.objects.filter(kind=TransactionKind.DONATION, donation=donation).count()
        == 1
    )
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
