"""Shared by load_bench.py and memory_bench.py: a gunicorn server on loopback against a
given database and wrk driven by a generated Lua script (request rotation, optional
cache-busting query, per-thread request budget, JSON summary with p50/p95/p99)."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEBHOOK_SECRET = "whsec_test_secret"  # noqa: S105 - the fake Stripe secret of the benches

LUA = r"""
local reqs = {
%(requests)s
}
local bust = %(bust)s
local budget = %(budget)d
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  done_count = 0
  nthreads = %(threads)d
end

request = function()
  local index = (id + counter * nthreads) %% #reqs + 1
  counter = counter + 1
  local r = reqs[index]
  local path = r[2]
  if bust then
    local sep = "?"
    if string.find(path, "?", 1, true) then sep = "&" end
    path = path .. sep .. "bench=" .. id .. "-" .. counter
  end
  return wrk.format(r[1], path, r[3], r[4])
end

response = function(status, headers, body)
  done_count = done_count + 1
  if budget > 0 and done_count >= budget then
    wrk.thread:stop()
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %%d, "duration_us": %%d, "p50": %%d, "p95": %%d, "p99": %%d, ' ..
    '"status_errors": %%d, "socket_errors": %%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def _lua_str(value: str) -> str:
    return "[==[" + value + "]==]"


def lua_script(requests: list[tuple], *, bust: bool, threads: int, budget: int = 0) -> str:
    """``requests``: (method, path[, headers dict, body]) tuples."""
    rows = []
    for item in requests:
        method, path = item[0], item[1]
        headers = item[2] if len(item) > 2 else {}
        body = item[3] if len(item) > 3 else None
        head = (
            "{" + ", ".join(f"[ {_lua_str(k)} ] = {_lua_str(v)}" for k, v in headers.items()) + "}"
        )
        rows.append(
            f"  {{{_lua_str(method)}, {_lua_str(path)}, {head}, "
            f"{_lua_str(body) if body is not None else 'nil'}}},"
        )
    return LUA % {
        "requests": "\n".join(rows),
        "bust": "true" if bust else "false",
        "threads": threads,
        "budget": budget,
    }


def wrk(
    port: int,
    requests: list[tuple],
    *,
    seconds: int,
    bust: bool = False,
    threads: int = 2,
    connections: int = 4,
    budget: int = 0,
) -> dict:
    """Run wrk; returns requests, rps, p50/p95/p99 (ms) and error counts."""
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (scripts/sysdeps.sh installs it)")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(lua_script(requests, bust=bust, threads=threads, budget=budget))
        script = handle.name
    try:
        out = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{connections}",
                f"-d{seconds}s",
                "--timeout",
                "30s",
                "-s",
                script,
                f"http://127.0.0.1:{port}",
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 120,
        )
    finally:
        os.unlink(script)
    line = [x for x in out.stdout.splitlines() if x.startswith('{"requests"')][-1]
    data = json.loads(line)
    seconds_taken = data["duration_us"] / 1e6
    return {
        "requests": data["requests"],
        "rps": round(data["requests"] / seconds_taken, 1),
        "p50": round(data["p50"] / 1000, 1),
        "p95": round(data["p95"] / 1000, 1),
        "p99": round(data["p99"] / 1000, 1),
        "status_errors": data["status_errors"],
        "socket_errors": data["socket_errors"],
        "seconds": round(seconds_taken, 1),
    }


def ensure_large_database(database_url: str, *, minimum: int = 10_000) -> int:
    """Migrate ``database_url``; seed ``seed_demo --size large`` into it when it holds no
    project (PostgreSQL: the database is created first); returns the project count.

    The load, memory and public benches share one large database per engine, so a fresh
    machine's ``make bench`` builds it once (about 3 minutes) and later runs reuse it."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "portal.settings.dev",
        "DJANGO_READ_DOT_ENV": "0",
        "EMAIL_URL": "dummymail://",
    }
    if database_url.startswith(("postgres://", "postgresql://")):
        create_postgres_database(database_url)
    elif database_url.startswith("sqlite:///"):
        Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)

    def manage(*args: str) -> str:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            check=True,
            text=True,
            capture_output=True,
        ).stdout

    def count() -> int:
        out = manage(
            "shell", "-c", "from projects.models import Project; print(Project.objects.count())"
        )
        return int(out.strip().splitlines()[-1])

    manage("migrate", "--noinput", "-v0")
    found = count()
    if found == 0:
        print(
            f"bench: seeding seed_demo --size large into {database_url} (about 3 minutes, once)…",
            flush=True,
        )
        manage("seed_demo", "--size", "large", "-v0")
        found = count()
    # A database seeded before projects were search-indexed (or by bulk writes that send
    # no signal) has no search entries: the keyword scenarios would find nothing.
    indexed = manage(
        "shell",
        "-c",
        "from portal.core.search import matching; from projects.models import Project; "
        "print(matching(Project.objects.all(), '社区').exists())",
    )
    if indexed.strip().splitlines()[-1] != "True":
        print(f"bench: building the search index of {database_url} (once)…", flush=True)
        manage("update_index", "-v0")
        manage(
            "shell",
            "-c",
            "from django.db import connection; connection.cursor().execute('ANALYZE')",
        )
    if found < minimum:
        raise SystemExit(
            f"{database_url} holds {found} projects, fewer than the "
            f"{minimum} of seed_demo --size large: point the bench at an empty "
            "database (it is then seeded) or drop this one"
        )
    return found


def create_postgres_database(database_url: str) -> None:
    """``CREATE DATABASE`` for the bench database if it does not exist yet."""
    from urllib.parse import urlsplit

    import psycopg

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def start_server(
    database_url: str, port: int, *, workers: int = 2, extra: tuple = ()
) -> subprocess.Popen:
    """gunicorn, ``bench.public_settings`` (dev settings, DEBUG off, ``/bench/minimal/``)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.public_settings",
        "PYTHONPATH": str(ROOT),
        "DJANGO_READ_DOT_ENV": "0",
        "DATABASE_URL": database_url,
        "STRIPE_SECRET_KEY": "sk_test_fake",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_fake",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "EMAIL_URL": "dummymail://",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "portal.wsgi:application",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--keep-alive",
            "30",
            "--env",
            "DJANGO_SETTINGS_MODULE=bench.public_settings",
            *extra,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited: " + server.stderr.read().decode()[-3000:])
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/bench/minimal/")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise RuntimeError("gunicorn did not start")


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def worker_pids(master: int) -> list[int]:
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except OSError:
        return []
    return [int(pid) for pid in children]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"no VmRSS for {pid}")


def signed_event_request(donation_id: int, amount: int, session_id: str) -> tuple:
    import hashlib
    import hmac

    payload = json.dumps(
        {
            "id": f"evt_{session_id}",
            "object": "event",
            "type": "checkout.session.completed",
            "api_version": "2024-06-20",
            "created": int(time.time()),
            "data": {
                "object": {
                    "id": session_id,
                    "object": "checkout.session",
                    "client_reference_id": str(donation_id),
                    "metadata": {"donation_id": str(donation_id)},
                    "amount_total": amount,
                    "currency": "cny",
                    "payment_status": "paid",
                    "payment_intent": f"pi_{session_id}",
                }
            },
        }
    )
    t = int(time.time())
    mac = hmac.new(WEBHOOK_SECRET.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return (
        "POST",
        "/funding/stripe/webhook/",
        {"Content-Type": "application/json", "Stripe-Signature": f"t={t},v1={mac}"},
        payload,
    )


def pending_stripe_donations(count: int, projects: list, tag: str) -> list[tuple]:
    """``count`` pending Stripe checkouts on ``projects`` (bulk insert); returns
    (id, amount, session id)."""
    from funding.enums import DonationSource
    from funding.models import Donation

    rows = [
        Donation(
            project=projects[i % len(projects)],
            amount=10_000 + (i % 7) * 100,
            source=DonationSource.STRIPE,
            external_id=f"cs_{tag}_{i}",
            donor_name=f"压测{i}",
        )
        for i in range(count)
    ]
    created = Donation.objects.bulk_create(rows)
    return [(d.pk, d.amount, d.external_id) for d in created]


def run_threads(n: int, target) -> tuple[float, list[str]]:
    """Run ``target(i)`` for i in 0..n-1 in ``n`` threads released together by a barrier
    (each closes its own database connection); returns (seconds, errors as repr)."""
    import threading

    from django.db import connection

    errors: list[str] = []
    barrier = threading.Barrier(n)

    def wrap(i):
        try:
            barrier.wait()
            target(i)
        except Exception as exc:  # noqa: BLE001 - reported in the result
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=wrap, args=(i,)) for i in range(n)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, errors
