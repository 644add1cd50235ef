"""Scale-out: two gunicorn app servers against one PostgreSQL, racing donation confirmations.

``run()`` (called by ``bench/run.py``) re-runs this file in a child process pointed at its
own PostgreSQL database (``SCALEOUT_BENCH_DATABASE_URL``, default
``postgres://postgres@127.0.0.1:5432/portal_ops_scaleout``; created and migrated when
missing). The scenario (``tests/ops/servers.py``, also run by ``tests/ops/test_scaleout.py``):
a live-matching pool holding 40 % of demand, ``SCALEOUT_BENCH_DONATIONS`` (default 60)
pending Stripe checkouts (half with held match, half with expired reservations that must
reserve again when paid), every signed ``checkout.session.completed`` event delivered to
BOTH servers in shuffled order while ``expire_reservations`` runs beside them; a 5xx is
redelivered as Stripe would.

Entries: ``scaleout_events_per_s`` (deliveries/s through two servers × 2 workers; baseline:
the same scenario through one server × 2 workers, same run), ``scaleout_overdraw_fen``
(match granted beyond the pool: must be 0) and ``scaleout_retried_deliveries`` (5xx answers
that needed a redelivery; PostgreSQL deadlock aborts roll back whole transactions). The
module fails if any gift is missing or double-counted or ``reconcile`` finds anything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/portal_ops_scaleout"
DONATIONS = int(os.environ.get("SCALEOUT_BENCH_DONATIONS", "60"))


def run() -> dict:
    url = os.environ.get("SCALEOUT_BENCH_DATABASE_URL", DEFAULT_URL)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DJANGO_READ_DOT_ENV": "0",
    }
    _ensure_database(url, env)
    out = subprocess.run(
        [sys.executable, __file__, "--child"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode:
        sys.stderr.write(out.stdout[-3000:] + out.stderr[-5000:])
        raise SystemExit(f"{Path(__file__).name} failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _ensure_database(url: str, env: dict) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname=%s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )


def _one(url: str, servers: int) -> dict:
    from tests.ops.servers import (
        free_port,
        race,
        server_log,
        setup_race,
        start_gunicorn,
        stop,
        verify_race,
    )

    setup = setup_race(donations=DONATIONS, pool_share=0.4)
    ports = [free_port() for _ in range(servers)]
    procs = []
    try:
        for port in ports:
            procs.append(start_gunicorn(url, port, workers=2))
        # Two deliveries of every event in both cases, so the work is the same.
        result = race(setup, ports if servers > 1 else ports * 2, threads=8)
    finally:
        for proc in procs:
            stop(proc)
    facts = verify_race(setup)
    bad = [s for s in result["statuses"] if s != 200]
    if (
        bad
        or facts["succeeded"] != DONATIONS
        or facts["donation_transactions"] != DONATIONS
        or facts["pool_left"] < 0
        or facts["granted"] > setup["pool_amount"]
        or not facts["reconcile_ok"]
    ):
        logs = "\n".join(server_log(p)[-2000:] for p in procs)
        raise SystemExit(f"scale-out race broke an invariant: {facts} {bad[:10]}\n{logs}")
    return {**result, **facts, "pool_amount": setup["pool_amount"]}


def _child() -> None:
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from tests.ops.servers import offset_factory_sequences

    offset_factory_sequences(int(time.time()) % 100_000 * 1000)
    url = os.environ["DATABASE_URL"]
    one = _one(url, servers=1)
    offset_factory_sequences(int(time.time()) % 100_000 * 1000 + 500)
    two = _one(url, servers=2)
    how = (
        f"{DONATIONS} donations × 2 deliveries, 8 clients, pool = 40 % of demand, "
        f"expire_reservations looping; gunicorn 2 sync workers per server on loopback; "
        f"PostgreSQL {url.rsplit('/', 1)[1]}; load {os.getloadavg()[0]:.1f}"
    )
    results = {
        "scaleout_events_per_s": {
            "value": round(two["requests"] / two["seconds"], 1),
            "unit": "deliveries/s",
            "baseline": round(one["requests"] / one["seconds"], 1),
            "note": f"two app servers vs one (baseline), every gift counted once, pool "
            f"never overdrawn, reconcile clean; {how}",
        },
        "scaleout_overdraw_fen": {
            "value": max(0, two["granted"] - two["pool_amount"]),
            "unit": "fen",
            "baseline": None,
            "note": f"match granted beyond the pool across two servers (must be 0); "
            f"granted {two['granted']} of {two['pool_amount']}; {how}",
        },
        "scaleout_retried_deliveries": {
            "value": len(two["retried"]),
            "unit": "deliveries",
            "baseline": len(one["retried"]),
            "note": "5xx answers redelivered (deadlock aborts roll back the whole "
            f"transaction; the redelivery counts it once), two servers vs one; {how}",
        },
    }
    print(json.dumps(results))


if __name__ == "__main__":
    if "--child" in sys.argv:
        _child()
    else:
        from run import merge  # noqa: PLC0415 - bench/run.py beside this file

        print(json.dumps(merge(run()), indent=2, ensure_ascii=False))
