"""The site's URLs plus ``/bench/minimal/``: a view that returns a few bytes through the
same middleware stack (no template, no query)."""

from django.http import HttpResponse
from django.urls import path

from portal.urls import handler404, handler500  # noqa: F401
from portal.urls import urlpatterns as site_urlpatterns


def minimal(request):
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/minimal/", minimal), *site_urlpatterns]
