"""Server-side cache of public pages for anonymous visitors, per language.

A cached page is keyed by host, path with query string, language, the large-text
display choice and the day (the directory's random order changes daily), plus a
**generation** number. Any change to data a public page shows (projects, calls,
organizations, the service catalogue, needs, donations, ledger transactions,
disbursements, expenditures, sponsors) bumps the generation through signals, so every
cached page is invalidated at once: simple, and never stale after a write.

Only anonymous GET/HEAD requests that answer 200, set no cookie and carry no flash
messages are cached. Signed-in users always get a fresh page.

Django views opt in with :func:`cache_anonymous_page`; the Wagtail pages listed in
``CACHED_PAGE_TYPES`` (home, call index, call pages) go through the same cache by the
``on_serve_page`` hook :func:`cache_wagtail_pages` (registered in
``portal/wagtail_hooks.py``). A page behind a Wagtail view restriction is never stored,
and a call page is kept at most until the call's next opening, closing or end of the
appeal window (its state changes with the clock, not with a write).

Operators: the generation lives in the default cache, so with several processes
``CACHE_URL`` must point at a shared cache (Redis, Memcached or the database cache);
with the per-process ``locmem`` default a write seen by one worker does not reach the
others' caches before ``PAGE_TIMEOUT``. Bulk writes that bypass signals (``bulk_create``
in ``seed_demo --size large``) are also covered only by the timeout.
"""

from __future__ import annotations

import hashlib
import time
from functools import wraps

from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone, translation

PAGE_TIMEOUT = 300
GENERATION_KEY = "public-pages:generation"

# Models whose changes a public page may show (app_label.ModelName).
WATCHED_MODELS = (
    "projects.Project",
    "projects.CallPage",
    "projects.ServiceCategory",
    "projects.ServiceItem",
    "projects.CommunityNeed",
    "organizations.Organization",
    "organizations.Region",
    "funding.Donation",
    "funding.LedgerTransaction",
    "funding.Disbursement",
    "funding.Expenditure",
    "funding.Sponsor",
    "funding.MatchPool",
    "funding.MatchingRule",
    "review.RankingEntry",
    "review.Decision",
    "wagtailcore.PageViewRestriction",
)

# Wagtail page types served from the page cache (app_label.ModelName, lower case).
CACHED_PAGE_TYPES = ("portal.homepage", "projects.callindexpage", "projects.callpage")


def generation() -> int:
    """The current generation (starts from the clock so a cache restart never reuses
    keys of an earlier run)."""
    value = cache.get(GENERATION_KEY)
    if value is None:
        cache.add(GENERATION_KEY, int(time.time() * 1000), None)
        value = cache.get(GENERATION_KEY, 0)
    return value


def invalidate_public_pages(**kwargs) -> None:
    """Signal receiver: make every cached public page stale."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, int(time.time() * 1000), None)


def page_key(request) -> str:
    parts = [
        str(generation()),
        request.get_host(),
        request.get_full_path(),
        translation.get_language() or "",
        "large" if request.COOKIES.get("large_text") == "1" else "standard",
        timezone.localdate().isoformat(),
    ]
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"public-page:{digest}"


def _cacheable_request(request) -> bool:
    from django.contrib.messages import get_messages

    return (
        request.method in ("GET", "HEAD")
        and not request.user.is_authenticated
        # len() loads pending flash messages without marking them as shown.
        and not len(get_messages(request))
    )


def serve_cached(request, produce, *, timeout: int = PAGE_TIMEOUT, storable=None):
    """The cached page for ``request`` or ``produce()``'s response, stored when it may be.

    ``storable`` (optional) is asked before storing a fresh response; ``timeout`` is the
    lifetime in seconds (0 or less: not stored).
    """
    if not _cacheable_request(request):
        return produce()
    key = page_key(request)
    cached = cache.get(key)
    if cached is not None:
        response = HttpResponse(cached["content"], content_type=cached["content_type"])
        response["X-Page-Cache"] = "hit"
        return response
    response = produce()
    if hasattr(response, "render") and callable(response.render):
        response = response.render()
    if (
        timeout > 0
        and response.status_code == 200
        and not getattr(response, "streaming", False)
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and (storable is None or storable())
    ):
        cache.set(
            key, {"content": response.content, "content_type": response["Content-Type"]}, timeout
        )
        response["X-Page-Cache"] = "miss"
    return response


def cache_anonymous_page(view):
    """Serve ``view`` from the page cache for anonymous visitors (see module docs)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        return serve_cached(request, lambda: view(request, *args, **kwargs))

    return wrapper


def _page_timeout(page, now=None) -> int:
    """Seconds a Wagtail page may stay cached: ``PAGE_TIMEOUT``, shortened for a call
    page so that it never outlives a change of the call's state."""
    now = now or timezone.now()
    moments = [getattr(page, name, None) for name in ("opens_at", "closes_at", "appeal_ends_at")]
    upcoming = [(m - now).total_seconds() for m in moments if m is not None and m > now]
    return int(min([PAGE_TIMEOUT, *upcoming]))


def cache_wagtail_pages(next_serve):
    """``on_serve_page`` hook: home, call index and call pages through the page cache."""

    def serve(page, request, args, kwargs):
        if page.specific_class is None or (
            page.specific_class._meta.label_lower not in CACHED_PAGE_TYPES
        ):
            return next_serve(page, request, args, kwargs)
        return serve_cached(
            request,
            lambda: next_serve(page, request, args, kwargs),
            timeout=_page_timeout(page.specific),
            storable=lambda: not page.get_view_restrictions().exists(),
        )

    return serve


def connect_signals() -> None:
    """Invalidate on every save/delete of a watched model, M2M change of a project,
    and Wagtail page publish/unpublish. Called from ``PortalConfig.ready``."""
    from django.apps import apps
    from django.db.models.signals import m2m_changed, post_delete, post_save
    from wagtail.signals import page_published, page_unpublished

    for label in WATCHED_MODELS:
        try:
            model = apps.get_model(label)
        except LookupError:  # an optional app that is not installed
            continue
        post_save.connect(
            invalidate_public_pages, sender=model, dispatch_uid=f"public-pages-save-{label}"
        )
        post_delete.connect(
            invalidate_public_pages, sender=model, dispatch_uid=f"public-pages-delete-{label}"
        )
    project = apps.get_model("projects.Project")
    for through in (project.service_items.through, project.addressed_needs.through):
        m2m_changed.connect(
            invalidate_public_pages,
            sender=through,
            dispatch_uid=f"public-pages-m2m-{through._meta.label}",
        )
    page_published.connect(invalidate_public_pages, dispatch_uid="public-pages-published")
    page_unpublished.connect(invalidate_public_pages, dispatch_uid="public-pages-unpublished")
