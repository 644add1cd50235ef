"""Production settings must refuse to start without their secrets and pass check --deploy."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD_ENV = {
    "DJANGO_SETTINGS_MODULE": "portal.settings.production",
    "SECRET_KEY": "q9V!r2#Lm8@zT4&wK7^pB1*dN6(sF3)hJ0-yC5_xG2+uE9=aR4",
    "DATABASE_URL": "postgres://portal@db.internal:5432/portal",
    "ALLOWED_HOSTS": "gongyi.example.org",
    "SITE_URL": "https://gongyi.example.org",
}


def run_manage(env_overrides, *args):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("STRIPE_", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"))
    }
    env.update(env_overrides)
    # Run from a temporary copy of the environment so a developer's .env is not read.
    env["DJANGO_READ_DOT_ENV"] = "0"
    return subprocess.run(  # noqa: S603 - fixed argv, our own manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS", "SITE_URL"])
def test_production_refuses_to_start_without_required_variable(missing):
    env = {k: v for k, v in GOOD_ENV.items() if k != missing}

    result = run_manage(env, "check")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr


def test_production_refuses_weak_secret_key():
    result = run_manage({**GOOD_ENV, "SECRET_KEY": "short"}, "check")

    assert result.returncode != 0
    assert "SECRET_KEY must be a random string" in result.stderr


def test_production_refuses_half_a_stripe_configuration():
    result = run_manage({**GOOD_ENV, "STRIPE_SECRET_KEY": "sk_live_x"}, "check")

    assert result.returncode != 0
    assert "STRIPE_WEBHOOK_SECRET" in result.stderr


def test_production_refuses_stripe_api_base_override():
    result = run_manage({**GOOD_ENV, "STRIPE_API_BASE": "http://127.0.0.1:12111"}, "check")

    assert result.returncode != 0
    assert "STRIPE_API_BASE is for tests and development only" in result.stderr


def test_production_passes_check_deploy():
    result = run_manage(GOOD_ENV, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
