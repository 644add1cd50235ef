"""A fixed-window counter in the default cache, for front-end submissions.

allauth's limiter is internal to allauth (its settings are hard-wired to the account app),
so residents' feedback counts its own attempts: per user and per client address.
Operators: with several processes the default cache must be shared (``CACHE_URL``), as
for the public page cache.
"""

from __future__ import annotations

import time

from django.core.cache import cache


def hit(key: str, *, limit: int, window: int) -> bool:
    """Count one attempt for ``key``; True while at most ``limit`` were made in the current
    ``window`` (seconds)."""
    bucket = int(time.time() // window)
    cache_key = f"evaluation-rate:{key}:{bucket}"
    if cache.add(cache_key, 1, window + 1):
        return limit >= 1
    try:
        count = cache.incr(cache_key)
    except ValueError:
        cache.set(cache_key, 1, window + 1)
        count = 1
    return count <= limit


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"
