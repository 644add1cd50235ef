"""Private storage for evidence files and receipts: the shared private storage, no URL.

The backend is ``STORAGES["private"]`` (file system under ``PRIVATE_MEDIA_ROOT`` by
default, a private S3 bucket in production): see :mod:`portal.core.storage`.
"""

from portal.core.storage import PrivateStorage
from portal.core.storage import private_storage as _shared

__all__ = ["PrivateStorage", "private_storage"]


def private_storage() -> PrivateStorage:
    # Referenced by this app's migrations (the field's storage callable): keep the name.
    return _shared
