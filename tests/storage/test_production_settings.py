"""Production settings: ``STORAGES["private"]`` on the file system by default, a private S3
bucket with ``PRIVATE_S3_BUCKET``; overlapping public and private prefixes refused.

Each case loads ``portal.settings.production`` in a fresh interpreter (settings are
module-level code); nothing connects anywhere.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOOD_ENV = {
    "DJANGO_SETTINGS_MODULE": "portal.settings.production",
    "SECRET_KEY": "q9V!r2#Lm8@zT4&wK7^pB1*dN6(sF3)hJ0-yC5_xG2+uE9=aR4",
    "DATABASE_URL": "postgres://portal@db.internal:5432/portal",
    "ALLOWED_HOSTS": "gongyi.example.org",
    "SITE_URL": "https://gongyi.example.org",
    "DJANGO_READ_DOT_ENV": "0",
}
PROBE = """
import json, django
django.setup()
from portal.core.storage import get_private_storage, private_storage
backend = get_private_storage()
try:
    private_storage.url("x.pdf")
    url = "served"
except ValueError:
    url = "refused"
print(json.dumps({
    "class": type(backend).__module__ + "." + type(backend).__name__,
    "bucket": getattr(backend, "bucket_name", None),
    "location": backend.location,
    "acl": getattr(backend, "default_acl", None),
    "overwrite": getattr(backend, "file_overwrite", None),
    "endpoint": getattr(backend, "endpoint_url", None),
    "access_key": getattr(backend, "access_key", None),
    "url": url,
}))
"""


def probe(**overrides) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("STRIPE_", "DATABASE_", "CACHE_URL", "AWS_", "PRIVATE_"))
    }
    env.update(GOOD_ENV)
    env.update(overrides)
    return subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_private_files_stay_on_the_file_system_without_a_bucket(tmp_path):
    result = probe(PRIVATE_MEDIA_ROOT=str(tmp_path))

    assert result.returncode == 0, result.stderr[-2000:]
    resolved = json.loads(result.stdout)
    assert resolved["class"] == "portal.core.storage.PrivateFileSystemStorage"
    assert resolved["location"] == str(tmp_path)
    assert resolved["url"] == "refused"


def test_private_bucket_is_private_and_never_linked():
    result = probe(
        PRIVATE_S3_BUCKET="gongyi-private",
        AWS_S3_ENDPOINT_URL="https://oss.example",
        PRIVATE_S3_ACCESS_KEY_ID="AKPRIVATE",
        PRIVATE_S3_SECRET_ACCESS_KEY="s3cr3t",
        AWS_STORAGE_BUCKET_NAME="gongyi-public",
    )

    assert result.returncode == 0, result.stderr[-2000:]
    resolved = json.loads(result.stdout)
    assert resolved == {
        "class": "storages.backends.s3.S3Storage",
        "bucket": "gongyi-private",
        "location": "private",
        "acl": "private",
        "overwrite": False,
        "endpoint": "https://oss.example",
        "access_key": "AKPRIVATE",
        "url": "refused",
    }


def test_overlapping_prefixes_in_one_bucket_are_refused():
    shared = probe(
        PRIVATE_S3_BUCKET="gongyi",
        AWS_STORAGE_BUCKET_NAME="gongyi",
        PRIVATE_S3_LOCATION="media/private",
    )
    disjoint = probe(PRIVATE_S3_BUCKET="gongyi", AWS_STORAGE_BUCKET_NAME="gongyi")

    assert shared.returncode != 0
    assert "PRIVATE_S3_LOCATION and AWS_LOCATION overlap" in shared.stderr
    assert disjoint.returncode == 0, disjoint.stderr[-2000:]
    assert json.loads(disjoint.stdout)["location"] == "private"
