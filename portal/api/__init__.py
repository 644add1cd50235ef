"""Open data API at ``/api/v1/`` (django-ninja). See ``docs/api.md``."""

from .views import api

__all__ = ["api"]
