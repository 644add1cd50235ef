"""Storage for private uploads (documents, agreements): the shared private storage.

Files stored here have no URL; views that check permission stream them. The backend is
``STORAGES["private"]`` (file system under ``PRIVATE_MEDIA_ROOT`` by default, a private
S3 bucket in production): see :mod:`portal.core.storage`.
"""

from portal.core.storage import PrivateStorage
from portal.core.storage import private_storage as _shared

__all__ = ["PrivateStorage", "private_storage"]


def private_storage() -> PrivateStorage:
    # Referenced by this app's migrations (the field's storage callable): keep the name.
    return _shared
