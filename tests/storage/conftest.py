"""A local S3-compatible server (moto) for the private storage: 127.0.0.1 only."""

import socket
import uuid

import pytest

REGION = "us-east-1"
ACCESS_KEY = "testing-access-key"
SECRET_KEY = "testing-secret-key"  # noqa: S105 - moto accepts any key


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    """A ``ThreadedMotoServer`` on a free loopback port for this module's tests."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


class Bucket:
    """The test's bucket, seen through a plain boto3 client (not django-storages)."""

    def __init__(self, client, name: str, prefix: str):
        self.client = client
        self.name = name
        self.prefix = prefix

    def keys(self) -> list[str]:
        listing = self.client.list_objects_v2(Bucket=self.name)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def acl_grants(self, key: str) -> list[dict]:
        return self.client.get_object_acl(Bucket=self.name, Key=key)["Grants"]


@pytest.fixture
def s3_private(s3_endpoint, settings, monkeypatch):
    """Switch ``STORAGES["private"]`` to ``storages.backends.s3.S3Storage`` on a fresh
    bucket of the local server, configured exactly as production configures it
    (:func:`portal.core.storage.s3_private_backend`); yields a :class:`Bucket`."""
    import boto3

    from portal.core.storage import s3_private_backend

    # Nothing may leave the machine: no proxy, no instance-metadata lookups.
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "http_proxy",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    bucket = f"private-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )
    client.create_bucket(Bucket=bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        "private": s3_private_backend(
            bucket=bucket,
            location="private",
            endpoint_url=s3_endpoint,
            region_name=REGION,
            access_key=ACCESS_KEY,
            secret_key=SECRET_KEY,
        ),
    }
    return Bucket(client, bucket, "private/")
