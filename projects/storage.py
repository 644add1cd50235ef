"""Private file storage: the shared private storage, no URL.

Files are served only by views that check permission (see ``projects.views``). The
backend is ``STORAGES["private"]`` (file system under ``PRIVATE_MEDIA_ROOT`` by default, a
private S3 bucket in production): see :mod:`portal.core.storage`.
"""

from django.utils.deconstruct import deconstructible

from portal.core.storage import PrivateStorage as _SharedPrivateStorage


@deconstructible(path="projects.storage.PrivateStorage")
class PrivateStorage(_SharedPrivateStorage):
    """Named here because this app's migrations construct ``projects.storage.PrivateStorage()``."""


private_storage = PrivateStorage()
