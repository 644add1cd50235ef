"""Two app servers, one PostgreSQL: donations confirmed through both never overdraw a
match pool and are each counted exactly once (tests/ops/servers.py drives the race)."""

import pytest

from funding.services.matching import pool_available

from .servers import free_port, race, setup_race, start_gunicorn, stop, verify_race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
DONATIONS = 40


def test_two_servers_race_confirmations_without_overdraw(pg_url):
    setup = setup_race(donations=DONATIONS, pool_share=0.4)
    assert pool_available(setup["pool"]) < setup["pool_amount"]  # half already reserved
    ports = [free_port(), free_port()]
    servers = []
    try:
        for port in ports:
            servers.append(start_gunicorn(pg_url, port, workers=2))
        result = race(setup, ports, threads=8)
    finally:
        for server in servers:
            stop(server)

    facts = verify_race(setup)
    assert set(result["statuses"]) == {200}, result["statuses"]
    assert result["requests"] == 2 * DONATIONS
    assert facts["succeeded"] == DONATIONS
    assert facts["donation_transactions"] == DONATIONS  # each gift posted once
    assert facts["pool_left"] == 0  # demand exceeded the pool: all of it, never more
    assert facts["granted"] == setup["pool_amount"]
    assert facts["reconcile_ok"], facts["reconcile"]
