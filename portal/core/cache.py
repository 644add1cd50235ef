"""Server-side cache of public pages for anonymous visitors, per language.

A cached page is keyed by host, path with query string, language, the large-text
display choice and the day (the directory's random order changes daily), plus a
**generation** number. Any change to data a public page shows (projects, calls,
organizations, the service catalogue, needs, donations, ledger transactions,
disbursements, expenditures, sponsors) bumps the generation through signals, so every
cached page is invalidated at once: simple, and never stale after a write.

Only anonymous GET/HEAD requests that answer 200, set no cookie and carry no flash
messages are cached. Signed-in users always get a fresh page.

Each app names the models its public pages show with :func:`watch_models` (and
:func:`watch_m2m`) in its ``AppConfig.ready()``; this module names no app's model.
Django views opt in with :func:`cache_anonymous_page`; the Wagtail page types given to
:func:`cache_wagtail_pages` (home, call index, call pages: ``portal/wagtail_hooks.py``)
go through the same cache by the ``on_serve_page`` hook. A page behind a Wagtail view
restriction is never stored, and a call page is kept at most until the call's next
opening, closing or end of the appeal window (its state changes with the clock, not with
a write).

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


def cache_wagtail_pages(*page_types: str):
    """An ``on_serve_page`` hook serving the given Wagtail page types (``app.model``,
    lower case) through the page cache."""
    cached = frozenset(page_types)

    def hook(next_serve):
        return _serve_cached_pages(next_serve, cached)

    return hook


def _serve_cached_pages(next_serve, cached: frozenset[str]):
    def serve(page, request, args, kwargs):
        if page.specific_class is None or page.specific_class._meta.label_lower not in cached:
            return next_serve(page, request, args, kwargs)
        return serve_cached(
            request,
            lambda: next_serve(page, request, args, kwargs),
            timeout=_page_timeout(page.specific),
            storable=lambda: not page.get_view_restrictions().exists(),
        )

    return serve


def watch_models(*models) -> None:
    """Invalidate the public pages on every save and delete of ``models`` (called by the
    app that owns them, from its ``AppConfig.ready()``)."""
    from django.db.models.signals import post_delete, post_save

    for model in models:
        label = model._meta.label
        post_save.connect(
            invalidate_public_pages, sender=model, dispatch_uid=f"public-pages-save-{label}"
        )
        post_delete.connect(
            invalidate_public_pages, sender=model, dispatch_uid=f"public-pages-delete-{label}"
        )


def watch_m2m(*throughs) -> None:
    """Invalidate the public pages when rows are added to or removed from an M2M."""
    from django.db.models.signals import m2m_changed

    for through in throughs:
        m2m_changed.connect(
            invalidate_public_pages,
            sender=through,
            dispatch_uid=f"public-pages-m2m-{through._meta.label}",
        )


def connect_signals() -> None:
    """Invalidate on Wagtail page publish/unpublish and view-restriction changes. Called
    from ``PortalConfig.ready``; the apps watch their own models (:func:`watch_models`)."""
    from wagtail.models import PageViewRestriction
    from wagtail.signals import page_published, page_unpublished

    watch_models(PageViewRestriction)
    page_published.connect(invalidate_public_pages, dispatch_uid="public-pages-published")
    page_unpublished.connect(invalidate_public_pages, dispatch_uid="public-pages-unpublished")
