"""Production settings for several app servers: shared cache, sessions, S3 media, replica.

Each case loads ``portal.settings.production`` in a fresh interpreter with a given
environment (settings are module-level code) and prints what it resolved.
"""

import json
import os
import subprocess
import sys
from functools import cache
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
PROBE = """
import json, django
from django.conf import settings
django.setup()
from django.core.files.storage import storages
from django.core.cache import caches
default = storages["default"]
print(json.dumps({
    "cache": settings.CACHES["default"],
    "cache_class": type(caches["default"]).__module__ + "." + type(caches["default"]).__name__,
    "session_engine": settings.SESSION_ENGINE,
    "storage_class": type(default).__module__ + "." + type(default).__name__,
    "bucket": getattr(default, "bucket_name", None),
    "endpoint": getattr(default, "endpoint_url", None),
    "querystring_auth": getattr(default, "querystring_auth", None),
    "media_url": settings.MEDIA_URL,
    "img_src": settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"],
    "databases": {k: {"HOST": v["HOST"], "NAME": v["NAME"], "TEST": v.get("TEST", {})}
                  for k, v in settings.DATABASES.items()},
    "routers": settings.DATABASE_ROUTERS,
    "middleware": settings.MIDDLEWARE,
}, default=str))
"""


@cache
def plain() -> dict:
    """The required variables only (computed once for the tests that share it)."""
    return probe()


def probe(**overrides) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("STRIPE_", "DATABASE_", "CACHE_URL", "AWS_", "DJANGO_ALLOW_ASYNC_UNSAFE")
        )
    }
    env.update(GOOD_ENV)
    env.update(overrides)
    env["DJANGO_READ_DOT_ENV"] = "0"
    result = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_cache_url_redis_gives_shared_cache_and_cached_db_sessions():
    got = probe(CACHE_URL="redis://redis.internal:6379/1")

    assert got["cache"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert got["cache"]["LOCATION"] == "redis://redis.internal:6379/1"
    assert got["cache"]["KEY_PREFIX"] == "portal"
    assert got["cache_class"] == "django.core.cache.backends.redis.RedisCache"
    assert got["session_engine"] == "django.contrib.sessions.backends.cached_db"


def test_without_cache_url_sessions_stay_in_the_database():
    got = plain()

    assert got["cache"]["BACKEND"].endswith("LocMemCache")
    assert got["session_engine"] == "django.contrib.sessions.backends.db"


def test_s3_bucket_moves_public_media_to_django_storages():
    got = probe(
        AWS_STORAGE_BUCKET_NAME="gongyi-media",
        AWS_S3_ENDPOINT_URL="https://s3.cn-north-1.example.com",
        AWS_S3_CUSTOM_DOMAIN="media.gongyi.example.org",
    )

    assert got["storage_class"] == "storages.backends.s3.S3Storage"
    assert got["bucket"] == "gongyi-media"
    assert got["endpoint"] == "https://s3.cn-north-1.example.com"
    assert got["querystring_auth"] is False
    assert got["media_url"] == "https://media.gongyi.example.org/"
    assert "https://media.gongyi.example.org" in got["img_src"]


def test_without_bucket_media_stays_on_the_file_system():
    got = plain()

    assert got["storage_class"] == "django.core.files.storage.filesystem.FileSystemStorage"


def test_replica_url_adds_a_mirrored_replica_and_the_router():
    got = probe(DATABASE_REPLICA_URL="postgres://portal@replica.internal:5432/portal")

    assert got["databases"]["replica"]["HOST"] == "replica.internal"
    assert got["databases"]["replica"]["TEST"]["MIRROR"] == "default"
    assert got["routers"] == ["portal.core.db_routers.PublicReadReplicaRouter"]
    assert "portal.core.db_routers.ReplicaReadMiddleware" in got["middleware"]


def test_no_replica_no_router():
    got = plain()

    assert set(got["databases"]) == {"default"}
    assert got["routers"] == []


def refused(**overrides) -> str:
    """The error production settings refuse to start with (stderr), given ``overrides``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "DATABASE_"))}
    env.update(GOOD_ENV)
    env.update(overrides)
    env["DJANGO_READ_DOT_ENV"] = "0"
    result = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0, "production settings started with " + repr(overrides)
    return result.stderr


@pytest.mark.parametrize(
    "site_url",
    [
        "http://127.0.0.1:8000",  # the development default
        "http://gongyi.example.org",  # links in mail must be https
        "https://other.example.org",  # a host this deployment does not serve
        "https://gongyi.example.org/portal",  # a path would be doubled in every link
    ],
)
def test_site_url_must_be_the_public_https_address(site_url):
    assert "SITE_URL must be the public https:// address" in refused(SITE_URL=site_url)


def test_site_url_may_use_a_host_allowed_by_a_leading_dot():
    got = probe(ALLOWED_HOSTS=".example.org", SITE_URL="https://gongyi.example.org/")

    assert got["session_engine"] == "django.contrib.sessions.backends.db"
