"""The private file storage: one backend, ``STORAGES["private"]``, for every private upload
(organization documents and agreements, application attachments, delivery agreements and
photos, need photos, donation evidence, receipts of spending) and every generated report.

By default it is :class:`PrivateFileSystemStorage` under ``settings.PRIVATE_MEDIA_ROOT``;
production points it at a private S3-compatible bucket (:func:`s3_private_backend`,
``PRIVATE_S3_BUCKET``; see docs/deploy.md). Private files never get a URL, not even a
signed one: views check permission and stream ``storage.open(name)``.

Model fields use :class:`PrivateStorage`, a proxy that forwards every call to the
configured backend at call time, so a field declared once follows the settings (tests
switch the backend with ``settings.STORAGES``) and migrations stay unchanged.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.core.files.utils import validate_file_name
from django.utils.deconstruct import deconstructible

PRIVATE_ALIAS = "private"
NO_URL = "Private files have no URL; serve them through a view that checks permission."


class PrivateFileSystemStorage(FileSystemStorage):
    """A file-system storage at ``settings.PRIVATE_MEDIA_ROOT`` (read on every access, so
    settings overrides take effect) with no URLs."""

    @property
    def base_location(self):
        return self._value_or_setting(self._location, settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    @property
    def base_url(self):
        return None

    def url(self, name):
        raise ValueError(NO_URL)

    def replace(self, name: str, content: File) -> str:
        """Write ``content`` under exactly ``name``, replacing any file there: written
        beside it and renamed over it, so readers see the old or the new file, never half."""
        return _replace_on_disk(self, name, content)


def _replace_on_disk(storage: FileSystemStorage, name: str, content: File) -> str:
    validate_file_name(name, allow_relative_path=True)
    path = storage.path(name)
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{uuid.uuid4().hex}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        with os.fdopen(fd, "wb") as out:
            for chunk in content.chunks():
                out.write(chunk)
        if storage.file_permissions_mode is not None:
            os.chmod(tmp, storage.file_permissions_mode)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return name


def get_private_storage() -> Storage:
    """The configured private backend: ``storages["private"]`` when ``STORAGES`` names
    one, else the file system under ``PRIVATE_MEDIA_ROOT``."""
    if PRIVATE_ALIAS in settings.STORAGES:
        return storages[PRIVATE_ALIAS]
    return _fallback


_fallback = PrivateFileSystemStorage()


def forget_private_storage() -> None:
    """Drop the cached backend instance (after ``fork``: a child must not share the
    parent's S3 connections)."""
    storages._storages.pop(PRIVATE_ALIAS, None)


def replace_file(name: str, content: bytes | File, storage: Storage | None = None) -> str:
    """Store ``content`` under exactly ``name``, replacing what is there, atomically for
    readers; returns ``name``.

    For generated files with deterministic names (reports, their sidecars, batch ZIPs);
    uploads use ``storage.save`` and never overwrite. On the file system the file is
    renamed over the old one; on an object store (S3) one PUT replaces the whole object:
    ``_save`` writes exactly ``name`` without looking for a free one.
    """
    storage = storage or get_private_storage()
    if isinstance(storage, PrivateStorage):
        storage = storage.backend
    if isinstance(content, bytes):
        content = ContentFile(content, name=os.path.basename(name))
    if isinstance(storage, FileSystemStorage):
        return _replace_on_disk(storage, name, content)
    content.seek(0)
    storage._save(name, content)
    return name


@deconstructible(path="portal.core.storage.PrivateStorage")
class PrivateStorage(Storage):
    """Forwards every call to :func:`get_private_storage` at call time; ``url`` always
    refuses, whatever the backend could sign."""

    @property
    def backend(self) -> Storage:
        return get_private_storage()

    def url(self, name):
        raise ValueError(NO_URL)

    def open(self, name, mode="rb"):
        return self.backend.open(name, mode)

    def save(self, name, content, max_length=None):
        return self.backend.save(name, content, max_length=max_length)

    def _open(self, name, mode="rb"):
        return self.backend._open(name, mode)

    def _save(self, name, content):
        return self.backend._save(name, content)

    def get_valid_name(self, name):
        return self.backend.get_valid_name(name)

    def get_alternative_name(self, file_root, file_ext):
        return self.backend.get_alternative_name(file_root, file_ext)

    def get_available_name(self, name, max_length=None):
        return self.backend.get_available_name(name, max_length=max_length)

    def generate_filename(self, filename):
        return self.backend.generate_filename(filename)

    def path(self, name):
        return self.backend.path(name)

    def delete(self, name):
        return self.backend.delete(name)

    def exists(self, name):
        return self.backend.exists(name)

    def listdir(self, path):
        return self.backend.listdir(path)

    def size(self, name):
        return self.backend.size(name)

    def get_accessed_time(self, name):
        return self.backend.get_accessed_time(name)

    def get_created_time(self, name):
        return self.backend.get_created_time(name)

    def get_modified_time(self, name):
        return self.backend.get_modified_time(name)

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        return getattr(self.backend, attr)


private_storage = PrivateStorage()


def s3_private_backend(
    *,
    bucket: str,
    location: str = "private",
    endpoint_url: str | None = None,
    region_name: str | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
    addressing_style: str | None = None,
) -> dict:
    """The ``STORAGES["private"]`` entry for a private S3-compatible bucket.

    Objects are written with the ``private`` ACL under the ``location`` key prefix and
    never overwrite each other (uploads get a free name; reports replace through
    :func:`replace_file`). ``querystring_auth`` stays on so that even a stray
    ``storage.url`` call on the backend could only yield an expiring signed URL; our code
    never asks for one. Credentials: ``access_key``/``secret_key`` when given, else boto3's
    own chain (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, instance role).
    """
    options: dict[str, Any] = {
        "bucket_name": bucket,
        "location": location,
        "default_acl": "private",
        "querystring_auth": True,
        "querystring_expire": 60,
        "file_overwrite": False,
        "custom_domain": None,
        "object_parameters": {"CacheControl": "private, no-store"},
        "endpoint_url": endpoint_url or None,
        "region_name": region_name or None,
    }
    if access_key and secret_key:
        options["access_key"] = access_key
        options["secret_key"] = secret_key
    if addressing_style:
        options["addressing_style"] = addressing_style
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}
