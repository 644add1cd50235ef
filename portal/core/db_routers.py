"""Optional read replica for public pages (``DATABASE_REPLICA_URL``).

Conservative by design: a read goes to the replica only when **all** of these hold:

- the request is a ``GET``/``HEAD`` to a view listed in ``settings.READ_REPLICA_VIEWS``
  (public directory, project and organization pages, statistics, open-data API);
- :class:`ReplicaReadMiddleware` marked the request (a context variable, so threads and
  other requests are unaffected);
- the default connection is not inside a transaction (``atomic``), so no read that a
  write depends on (locks, ``select_for_update``, balances checked before posting) can
  ever see the replica.

Everything else (writes, the admin, donations, webhooks, task workers, management
commands, sessions of signed-in users) reads and writes the primary. The trade-off is
replication lag: a donor may see a project's total a moment late on a public page, never
wrong money in the ledger. See ``docs/deploy.md``.
"""

from __future__ import annotations

import contextvars

from django.conf import settings
from django.db import connections

REPLICA_ALIAS = "replica"
# Identity and queue tables always come from the primary: a session or login written a
# moment ago must not look missing because the replica lags.
PRIMARY_ONLY_APPS = frozenset(
    {"sessions", "auth", "account", "mfa", "admin", "django_tasks_db", "wagtailusers"}
)
_replica_ok: contextvars.ContextVar[bool] = contextvars.ContextVar("replica_ok", default=False)


def replica_configured() -> bool:
    return REPLICA_ALIAS in settings.DATABASES


class PublicReadReplicaRouter:
    """Send marked public reads to the replica; everything else to ``default``."""

    def db_for_read(self, model, **hints):
        if not _replica_ok.get() or not replica_configured():
            return "default"
        if model._meta.app_label in PRIMARY_ONLY_APPS:
            return "default"
        if connections["default"].in_atomic_block:
            return "default"
        return REPLICA_ALIAS

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        # Both aliases hold the same data (streaming replication).
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


class ReplicaReadMiddleware:
    """Mark GET/HEAD requests to ``READ_REPLICA_VIEWS`` as replica-readable."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        finally:
            token = getattr(request, "_replica_token", None)
            if token is not None:
                _replica_ok.reset(token)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method not in ("GET", "HEAD"):
            return None
        match = request.resolver_match
        names = set(getattr(settings, "READ_REPLICA_VIEWS", ()))
        if match is not None and match.view_name in names:
            request._replica_token = _replica_ok.set(True)
        return None


class use_replica_for_reads:  # noqa: N801 - used like a function/context manager
    """Context manager for code outside requests (reports of public data, benches)."""

    def __enter__(self):
        self._token = _replica_ok.set(True)
        return self

    def __exit__(self, *exc):
        _replica_ok.reset(self._token)
        return False
