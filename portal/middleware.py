"""Answer a clean, translated 503 when the database is unreachable.

PostgreSQL restarting, a fail-over or a full connection pool raise
``OperationalError``/``InterfaceError`` from whatever query a view happens to run. Such
a request did not commit anything (Django rolls back a failed transaction), so the
honest answer is "try again": ``503 Service Unavailable`` with ``Retry-After``, a page
that needs no database (no context processors) and no traceback. Load balancers read
``/healthz`` (see ``portal.views.healthz``) to take such a server out of rotation.
"""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
DATABASE_DOWN_ERRORS = (OperationalError, InterfaceError)


def database_unavailable_response() -> HttpResponse:
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_DOWN_ERRORS):
            logger.error("database unavailable: %s %s: %s", request.method, request.path, exception)
            return database_unavailable_response()
        return None
