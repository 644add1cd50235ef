"""PostgreSQL connections dropped under load (what a restart or fail-over does to the app
servers): requests fail cleanly, are redelivered, nothing is lost or counted twice, and
the servers reconnect by themselves. Only this test database's server connections are
terminated (``pg_terminate_backend``); the shared PostgreSQL server is never restarted.
"""

import threading
import time

import pytest
from django.db import connection

from .servers import (
    drain_inbox,
    fetch_status,
    free_port,
    post_all,
    setup_race,
    signed_completed_event,
    start_gunicorn,
    stop,
    verify_race,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
DONATIONS = 30


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def terminate_server_connections(dbname: str, spare: int) -> int:
    """Cut every connection to ``dbname`` except this thread's and ``spare``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid NOT IN (pg_backend_pid(), %s)",
            [dbname, spare],
        )
        return cursor.fetchone()[0]


def test_connections_killed_during_webhooks_lose_nothing(pg_url):
    setup = setup_race(donations=DONATIONS, pool_share=0.4)
    dbname = connection.settings_dict["NAME"]
    mine = backend_pid()  # the test's own connection survives
    port = free_port()
    server = start_gunicorn(pg_url, port, workers=2)
    killed = []
    stop_killing = threading.Event()

    def killer():
        # Three outages while the events stream in, like a restart and a fail-over. The
        # first comes at once: the workers already hold their persistent connections
        # (CONN_MAX_AGE) from the readiness check, so something is always cut, even on
        # a machine fast enough to deliver every event within a second (CI once did, and
        # a first outage after 1 s cut nothing). Short gaps keep later outages inside
        # the stream, so in-flight requests fail too.
        for outage in range(3):
            if outage and stop_killing.wait(0.1):
                break
            for _ in range(5):  # keep cutting for a moment: in-flight requests fail
                killed.append(terminate_server_connections(dbname, mine))
                time.sleep(0.05)
        connection.close()

    jobs = [(port, *signed_completed_event(*row)) for row in setup["donations"]]
    retried: list[int] = []
    thread = threading.Thread(target=killer)
    try:
        thread.start()
        statuses = post_all(jobs, threads=4, retries=10, retry_log=retried)
        stop_killing.set()
        thread.join()
        after = fetch_status(port, "/healthz")  # reconnects by itself
        drain_inbox()  # the worker applies what a cut connection left pending
    finally:
        stop_killing.set()
        stop(server)

    assert sum(killed) > 0  # connections really were cut
    assert set(retried) <= {0, 500, 503}  # clean failures only, then redelivered
    # (the webhook view answers any failure with a bare 500 so Stripe redelivers)
    assert statuses == [200] * DONATIONS
    assert after == 200
    facts = verify_race(setup)
    assert facts["succeeded"] == DONATIONS
    assert facts["donation_transactions"] == DONATIONS
    assert facts["pool_left"] >= 0
    assert facts["reconcile_ok"], facts["reconcile"]
