"""The database going away: /healthz says so with 503, pages answer a clean 503."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str, headers: dict | None = None) -> tuple[int, dict, str]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def start_server(database_url: str, port: int) -> subprocess.Popen:
    """gunicorn (as in production) on loopback against ``database_url``."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_READ_DOT_ENV": "0",
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    server = subprocess.Popen(  # noqa: S603 - fixed argv
        [
            sys.executable,
            "-m",
            "gunicorn",
            "portal.wsgi:application",
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--env",
            "DJANGO_SETTINGS_MODULE=portal.settings.test",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            if server.poll() is not None:
                raise RuntimeError(server.stderr.read().decode()[-3000:]) from None
            time.sleep(0.3)
    server.kill()
    raise RuntimeError("server did not start")


@pytest.fixture
def unreachable_db_server():
    # Nothing listens on this port: every connection attempt fails at once.
    dead = free_port()
    port = free_port()
    server = start_server(f"postgres://postgres@127.0.0.1:{dead}/portal_ops_gone", port)
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=30)


def test_healthz_and_pages_answer_503_when_the_database_is_unreachable(unreachable_db_server):
    status, _, body = fetch(unreachable_db_server + "/healthz")
    assert status == 503
    assert '"database": "error"' in body

    for path, lang, text in [
        ("/", "zh-hans", "暂时无法访问"),
        ("/en/projects/", "en", "Temporarily unavailable"),
    ]:
        status, headers, body = fetch(unreachable_db_server + path, {"Accept-Language": lang})
        assert status == 503, (path, body[:500])
        assert text in body
        assert headers.get("Retry-After") == "30"
        assert "Traceback" not in body and "OperationalError" not in body
        assert "127.0.0.1" not in body
