"""Private file storage: files live under ``PRIVATE_MEDIA_ROOT`` and have no public URL.

They are served only by views that check permission (see ``projects.views.files``).
"""

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible


@deconstructible(path="projects.storage.PrivateStorage")
class PrivateStorage(FileSystemStorage):
    # Read the setting on every access so tests (and operators) can move it.
    @property
    def base_location(self):
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self):
        import os

        return os.path.abspath(self.base_location)

    @property
    def base_url(self):
        return None

    def url(self, name):
        raise ValueError("private files have no public URL")


private_storage = PrivateStorage()
