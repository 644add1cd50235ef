"""/healthz checks Redis when it is the cache (CACHE_URL): a set/get round trip, 503
naming ``cache`` when Redis does not answer, quickly (short socket timeouts)."""

import time
from unittest import mock

import pytest
from django.db.utils import OperationalError

pytestmark = pytest.mark.django_db

UNUSED_PORT = 6399  # nothing listens here
TIMEOUTS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}


def _redis(settings, port: int) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/9",
            "KEY_PREFIX": "test-healthz",
            "OPTIONS": TIMEOUTS,
        }
    }


def test_unreachable_redis_answers_503_naming_the_cache_quickly(client, settings):
    _redis(settings, UNUSED_PORT)

    started = time.monotonic()
    response = client.get("/healthz")
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "cache": "error"}
    assert elapsed < 3
    assert "no-cache" in response["Cache-Control"]


def test_reachable_redis_answers_200_and_leaves_no_key(client, settings):
    _redis(settings, 6379)
    from django.core.cache import cache

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert list(cache._cache.get_client().scan_iter(match="test-healthz:*healthz:*")) == []


def test_redis_that_loses_the_value_is_an_error(client, settings):
    _redis(settings, 6379)

    with mock.patch("django.core.cache.backends.redis.RedisCache.get", return_value=None):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["cache"] == "error"


def test_database_and_cache_reported_separately(client, settings):
    _redis(settings, 6379)

    with mock.patch("portal.views.connection.cursor", side_effect=OperationalError("down")):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "error", "cache": "ok"}


def test_per_process_cache_is_not_checked(client, settings):
    """locmem (no CACHE_URL, dev/test): the answer stays as before, database only."""
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
