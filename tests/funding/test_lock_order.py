"""The global lock order on PostgreSQL with real threads (#17 item 5): approving a
platform import takes rule → projects → pools up front, so a live payment that holds a
project row and then wants the pools cannot deadlock with it."""

import threading
import time

import pytest
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from funding.models import MatchPool
from funding.services.imports import approve_import, commit_import
from funding.services.reconcile import reconcile
from projects.models import Project
from tests.factories.funding import MatchedProjectFactory, MatchingRuleFactory, funded_pool

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
HEADER = "external_id,project_slug,amount_yuan,donor_name,donor_email,date,message,anonymous\n"


def test_import_approval_and_live_payment_do_not_deadlock(finance_users):
    MatchingRuleFactory()
    pool = funded_pool(1_000_000)
    MatchedProjectFactory(slug="lock-a")  # lower id: its gift is counted first
    second = MatchedProjectFactory(slug="lock-b")
    day = timezone.localdate().isoformat()
    batch = commit_import(
        content=(HEADER + f"L1,lock-a,100,,,{day},,\nL2,lock-b,100,,,{day},,\n").encode(),
        source="generic",
        file_name="lock.csv",
        by=finance_users[0],
    )
    live_holds_project = threading.Event()
    import_started = threading.Event()
    errors = []

    def live_payment():
        # The live path's order: project row, then (while still holding it) the pools.
        try:
            with transaction.atomic():
                Project.objects.select_for_update().get(pk=second.pk)
                live_holds_project.set()
                import_started.wait(10)
                time.sleep(1.0)  # the import is now waiting (or, out of order, holding pools)
                list(MatchPool.objects.select_for_update().filter(pk=pool.pk))
        except Exception as exc:  # noqa: BLE001 - asserted below
            errors.append(repr(exc))
        finally:
            connection.close()

    def approval():
        try:
            live_holds_project.wait(10)
            import_started.set()
            approve_import(batch=batch, approved_by=finance_users[1])
        except Exception as exc:  # noqa: BLE001 - asserted below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=live_payment), threading.Thread(target=approval)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    close_old_connections()

    batch.refresh_from_db()
    assert errors == []
    assert batch.status == "approved"
    assert reconcile().ok
