"""Test settings with the real database task backend (for worker subprocesses)."""

import os

from portal.settings.test import *  # noqa: F403
from portal.settings.test import PRIVATE_MEDIA_ROOT

# The parent test hands its temporary folder to the worker.
PRIVATE_MEDIA_ROOT = os.environ.get("PRIVATE_MEDIA_ROOT", PRIVATE_MEDIA_ROOT)

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "reports", "funding"],
    }
}
