"""Helpers shared by tests/ops and bench/: real server processes on loopback, signed
Stripe webhook deliveries, and the two-server donation race."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WEBHOOK_SECRET = "whsec_test_secret"
WEBHOOK_PATH = "/funding/stripe/webhook/"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(
    database_url: str, settings_module: str = "portal.settings.test", **extra: str
) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_READ_DOT_ENV": "0",
        "DJANGO_SETTINGS_MODULE": settings_module,
        "PYTHONPATH": str(ROOT),
        "STRIPE_SECRET_KEY": "sk_test_fake",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_fake",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        **extra,
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


def start_gunicorn(
    database_url: str,
    port: int,
    *,
    workers: int = 1,
    settings_module: str = "portal.settings.test",
    ready_path: str = "/healthz",
    extra_args: tuple = (),
    **extra_env: str,
) -> subprocess.Popen:
    """gunicorn with ``deploy/gunicorn.conf.py`` defaults overridden for loopback; returns
    once ``ready_path`` answers."""
    env = server_env(database_url, settings_module, **extra_env)
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - kept open for the server's life
        prefix=f"gunicorn-{port}-", suffix=".log", delete=False
    )
    server = subprocess.Popen(  # noqa: S603 - fixed argv
        [
            sys.executable,
            "-m",
            "gunicorn",
            "portal.wsgi:application",
            "--config",
            str(ROOT / "deploy" / "gunicorn.conf.py"),
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--env",
            f"DJANGO_SETTINGS_MODULE={settings_module}",
            *extra_args,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    server.log_path = log.name
    wait_ready(server, port, ready_path)
    return server


def server_log(server: subprocess.Popen) -> str:
    path = getattr(server, "log_path", None)
    return Path(path).read_text(errors="replace") if path else ""


def wait_ready(
    server: subprocess.Popen, port: int, path: str = "/healthz", timeout: float = 120
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("server exited: " + server_log(server)[-3000:])
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            if conn.getresponse().status < 500:
                return
        except OSError:
            pass
        time.sleep(0.3)
    server.kill()
    raise RuntimeError(f"server on port {port} did not answer {path}")


def fetch_status(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def signed_completed_event(donation_id: int, amount: int, session_id: str) -> tuple[str, str]:
    """(payload, Stripe-Signature) of checkout.session.completed for a paid donation."""
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
                    "payment_intent": f"pi_{donation_id}",
                }
            },
        }
    )
    t = int(time.time())
    mac = hmac.new(WEBHOOK_SECRET.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return payload, f"t={t},v1={mac}"


def post_all(
    jobs: list[tuple[int, str, str]],
    *,
    threads: int = 8,
    retries: int = 0,
    retry_log: list | None = None,
) -> list[int]:
    """POST each (port, payload, signature) job; ``threads`` keep-alive clients.

    Like Stripe, a 5xx answer is delivered again (up to ``retries`` times, after a short
    pause); ``retry_log`` collects the status of every answer that was retried. Returns
    the final status of each job."""
    statuses: list[int] = []
    lock = threading.Lock()
    queue = iter(jobs)

    def deliver(conns, port, payload, signature) -> int:
        conn = conns.setdefault(port, http.client.HTTPConnection("127.0.0.1", port, timeout=60))
        try:
            conn.request(
                "POST",
                WEBHOOK_PATH,
                body=payload.encode(),
                headers={"Content-Type": "application/json", "Stripe-Signature": signature},
            )
            response = conn.getresponse()
            response.read()
            return response.status
        except OSError:
            conns.pop(port).close()
            return 0

    def worker():
        conns: dict[int, http.client.HTTPConnection] = {}
        for port, payload, signature in queue:
            status = deliver(conns, port, payload, signature)
            for attempt in range(retries):
                if status != 0 and status < 500:
                    break
                if retry_log is not None:
                    with lock:
                        retry_log.append(status)
                time.sleep(0.2 * (attempt + 1))
                status = deliver(conns, port, payload, signature)
            with lock:
                statuses.append(status)
        for conn in conns.values():
            conn.close()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return statuses


# --- the two-server race ------------------------------------------------------------


def offset_factory_sequences(base: int) -> None:
    """Start every factory sequence at ``base`` (< 10**8: credit codes hold 9 digits):
    benches reuse a database across runs, and factory slugs/credit codes must not
    collide with an earlier run's rows."""
    import importlib
    import inspect
    import pkgutil

    import factory

    import tests.factories as package

    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"tests.factories.{info.name}")
        for obj in vars(module).values():
            if (
                inspect.isclass(obj)
                and issubclass(obj, factory.base.Factory)
                and getattr(obj._meta, "model", None) is not None
            ):
                try:
                    obj.reset_sequence(base, force=True)
                except (ValueError, TypeError):
                    continue


def setup_race(
    *, donations: int, amount: int = 10_000, pool_share: float = 0.4, projects: int = 4
) -> dict:
    """A live-matching call, a pool holding ``pool_share`` of demand and ``donations``
    pending Stripe checkouts: the first half reserved match at checkout (as the donate
    view does), the other half's reservations already expired (late payments that must
    grab whatever is left when they are confirmed)."""
    from datetime import timedelta

    from django.utils import timezone

    from funding.enums import DonationSource
    from funding.services.matching import reserve_match
    from tests.factories.funding import (
        DonationFactory,
        MatchedProjectFactory,
        MatchingRuleFactory,
        funded_pool,
        make_call,
    )

    call = make_call(f"race-{int(time.time() * 1000)}")
    MatchingRuleFactory(call=call)
    pool_amount = int(donations * amount * pool_share)
    pool = funded_pool(pool_amount, call=call)
    targets = [MatchedProjectFactory(call=call) for _ in range(projects)]
    rows = []
    past = timezone.now() - timedelta(seconds=1)
    for i in range(donations):
        donation = DonationFactory(
            project=targets[i % projects],
            amount=amount,
            source=DonationSource.STRIPE,
            external_id=f"cs_race_{call.pk}_{i}",
        )
        reserve_match(donation=donation, expires_at=None if i % 2 == 0 else past)
        rows.append((donation.pk, amount, donation.external_id))
    return {"pool": pool, "pool_amount": pool_amount, "donations": rows, "call": call}


def race(race_setup: dict, ports: list[int], *, threads: int = 8) -> dict:
    """Deliver every completed event to EVERY server (a duplicate delivery per server),
    interleaved, while ``expire_reservations`` runs beside them. A 5xx (PostgreSQL broke
    a lock cycle: the whole transaction rolled back) is redelivered, as Stripe does."""
    import random

    jobs = []
    for donation_id, amount, session in race_setup["donations"]:
        payload, signature = signed_completed_event(donation_id, amount, session)
        jobs += [(port, payload, signature) for port in ports]
    random.Random(9).shuffle(jobs)
    expiring = threading.Event()

    def expire_loop():
        from django.db import connection

        from funding.services.matching import expire_reservations

        while not expiring.is_set():
            expire_reservations()
            time.sleep(0.05)
        connection.close()

    expirer = threading.Thread(target=expire_loop)
    expirer.start()
    started = time.perf_counter()
    retried: list[int] = []
    try:
        statuses = post_all(jobs, threads=threads, retries=5, retry_log=retried)
    finally:
        expiring.set()
        expirer.join()
    drain_inbox()
    return {
        "statuses": statuses,
        "seconds": time.perf_counter() - started,
        "requests": len(jobs),
        "retried": retried,
    }


def drain_inbox() -> None:
    """What the inbox worker does after the deliveries: apply whatever is still pending
    (the servers drain in-request with the test settings' immediate task backend, but a
    drain that lost a lock race leaves its batch pending for the next one)."""
    from funding.services.inbox import process_inbox

    process_inbox()


def verify_race(race_setup: dict) -> dict:
    """Ledger facts after the race (no assertion here; callers decide)."""
    from django.db.models import Sum

    from funding.enums import DonationStatus, ReservationStatus, TransactionKind
    from funding.models import Donation, LedgerTransaction, MatchReservation
    from funding.services.matching import pool_available
    from funding.services.reconcile import reconcile

    ids = [row[0] for row in race_setup["donations"]]
    succeeded = Donation.objects.filter(pk__in=ids, status=DonationStatus.SUCCEEDED).count()
    posted = LedgerTransaction.objects.filter(
        kind=TransactionKind.DONATION, donation_id__in=ids
    ).count()
    granted = (
        MatchReservation.objects.filter(
            donation_id__in=ids, status=ReservationStatus.CONFIRMED
        ).aggregate(total=Sum("amount"))["total"]
        or 0
    )
    report = reconcile()
    return {
        "succeeded": succeeded,
        "donation_transactions": posted,
        "granted": granted,
        "pool_left": pool_available(race_setup["pool"]),
        "reconcile_ok": report.ok,
        "reconcile": str(getattr(report, "problems", ""))[:500],
    }
