"""The site's URLs plus ``/bench/minimal/``: a view that returns a few bytes through the
same middleware stack (no template, no query); and the ``Server-Timing`` middleware of
``public_settings``."""

import time

from django.http import HttpResponse
from django.urls import path

from portal.urls import handler404, handler500  # noqa: F401
from portal.urls import urlpatterns as site_urlpatterns


class ServerTimingMiddleware:
    """``Server-Timing: app;dur=<wall ms>, cpu;dur=<process CPU ms>`` on every response.

    With SQLite the queries run in the worker process, so ``cpu`` includes them: it is
    the request's own cost, nearly independent of what else runs on the machine."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        wall, cpu = time.perf_counter(), time.process_time()
        response = self.get_response(request)
        response["Server-Timing"] = (
            f"app;dur={(time.perf_counter() - wall) * 1000:.2f}, "
            f"cpu;dur={(time.process_time() - cpu) * 1000:.2f}"
        )
        return response


def minimal(request):
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/minimal/", minimal), *site_urlpatterns]
