import logging

from django.conf import settings
from django.core.paginator import Paginator
from django.db import connection
from django.db.utils import DatabaseError
from django.http import (
    HttpResponse,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


def _cache_is_shared() -> bool:
    """Redis (``CACHE_URL=redis://...``) holds the page cache, sessions and rate limits
    shared by every app server: it is checked. A per-process cache is not."""
    return "redis" in settings.CACHES["default"]["BACKEND"].lower()


def _cache_answers() -> bool:
    """A set/get/delete round trip on the default cache (bounded by the backend's
    ``socket_connect_timeout``/``socket_timeout`` options, docs/deploy.md)."""
    import uuid

    from django.core.cache import cache

    key = f"healthz:{uuid.uuid4().hex}"
    try:
        cache.set(key, "ok", timeout=10)
        answered = cache.get(key) == "ok"
        cache.delete(key)
    except Exception:  # redis-py's ConnectionError/TimeoutError and whatever else
        logger.exception("health check: cache unavailable")
        return False
    if not answered:
        logger.error("health check: cache did not return the value just stored")
    return answered


@never_cache
@require_GET
def healthz(request):
    """Liveness + database check (and Redis, when it is the cache) for load balancers
    (see docs/deploy.md)."""
    body = {"status": "ok", "database": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("health check: database unavailable")
        body.update(status="error", database="error")
    if _cache_is_shared():
        body["cache"] = "ok" if _cache_answers() else "error"
        if body["cache"] == "error":
            body["status"] = "error"
    return JsonResponse(body, status=200 if body["status"] == "ok" else 503)


@require_GET
def favicon(request):
    """Browsers, feed readers and PDF viewers ask for /favicon.ico whatever the page says."""
    return HttpResponsePermanentRedirect(static("portal/favicon.ico"))


@require_GET
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /accounts/",
        "Disallow: /en/accounts/",
        "Disallow: /me/",
        "Disallow: /en/me/",
        f"Sitemap: {settings.SITE_URL}/sitemap.xml",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


def search(request):
    """One search over the whole public site, grouped by type (see ``portal.site_search``)."""
    from urllib.parse import urlencode

    from .site_search import PAGE_SIZE, SiteSearchForm, site_search

    form = SiteSearchForm(request.GET)
    form.is_valid()  # an invalid filter is reported and ignored; the words still count
    data = form.cleaned_data
    query = data.get("q") or ""
    kind = data.get("type") or ""
    groups, total, page_obj = [], 0, None
    if query:
        try:
            number = min(max(int(request.GET.get("page", 1)), 1), 10_000)
        except ValueError:
            number = 1
        filters = {"district": data.get("district"), "category": data.get("category")}
        groups, total = site_search(query=query, kind=kind, page=number, **filters)
        if kind:
            count = next((g.count for g in groups if g.kind == kind), 0)
            page_obj = Paginator(range(count), PAGE_SIZE).get_page(number)
            if page_obj.number != number:  # past the last page: show the last one
                groups, total = site_search(query=query, kind=kind, page=page_obj.number, **filters)
    params = {k: (v.pk if hasattr(v, "pk") else v) for k, v in data.items() if v and k != "type"}
    return render(
        request,
        "portal/search.html",
        {
            "form": form,
            "query": query,
            "kind": kind,
            "groups": groups,
            "total": total,
            "page_obj": page_obj,
            "filter_query": urlencode(params),
            "extra_query": "&" + urlencode({**params, "type": kind}),
        },
    )


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    import sys

    from portal.middleware import DATABASE_DOWN_ERRORS, database_unavailable_response

    if isinstance(sys.exc_info()[1], DATABASE_DOWN_ERRORS):
        # Raised outside a view (e.g. loading the session): same clean 503 as the middleware.
        return database_unavailable_response()
    return render(request, "500.html", status=500)


@require_GET
def toggle_large_text(request):
    """Switch the large-text display mode (stored in a cookie; works without JS)."""
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    response = HttpResponseRedirect(target)
    if request.COOKIES.get("large_text") == "1":
        response.delete_cookie("large_text")
    else:
        response.set_cookie("large_text", "1", max_age=365 * 24 * 3600, samesite="Lax")
    return response
