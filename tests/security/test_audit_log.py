"""Audit entries (Wagtail's log entries, the apps' event tables, the ledger) cannot be
created, edited or deleted through any admin: no URL of the project leads to a write
view for them, whoever is logged in, and the read-only history pages offer no such
action even to a superuser (their links lead to the logged objects, never to a write
view of an entry)."""

import re

import pytest
from django.apps import apps
from django.urls import Resolver404, get_resolver, resolve
from wagtail.admin.views.generic.models import CopyView, CreateView, DeleteView, EditView

from .matrix import routes, view_model

pytestmark = pytest.mark.django_db

AUDIT_MODELS = [
    ("wagtailcore", "ModelLogEntry"),
    ("wagtailcore", "PageLogEntry"),
    ("organizations", "VerificationEvent"),
    ("organizations", "StageChange"),
    ("projects", "ApplicationEvent"),
    ("funding", "LedgerTransaction"),
    ("funding", "Entry"),
    ("funding", "InboundEvent"),
]
WRITE_VIEWS = (CreateView, EditView, DeleteView, CopyView)


def _audit_models():
    found = [apps.get_model(app, name) for app, name in AUDIT_MODELS]
    # Event tables of apps that may or may not be installed.
    for label in ("delivery.DeliveryEvent",):
        try:
            found.append(apps.get_model(label))
        except LookupError:
            continue
    return found


def _writes_audit_model(path: str) -> bool:
    """True when ``path`` resolves to a create/edit/copy/delete view of an audit model."""
    try:
        match = resolve(path)
    except Resolver404:
        return False
    callback = match.func
    view_class = getattr(callback, "view_class", None)
    model = (getattr(callback, "view_initkwargs", {}) or {}).get("model") or getattr(
        view_class, "model", None
    )
    return bool(
        view_class and issubclass(view_class, WRITE_VIEWS) and model in set(_audit_models())
    )


def test_no_url_leads_to_a_write_view_for_audit_models():
    audit = set(_audit_models())
    writable = []

    for route in routes():
        model = view_model(route)
        view_class = getattr(route.pattern.callback, "view_class", None)
        if model in audit and view_class and issubclass(view_class, WRITE_VIEWS):
            writable.append(route.name)

    assert writable == []


def test_django_admin_site_is_not_routed():
    from django.contrib.admin.sites import AdminSite

    modules = {getattr(r.pattern.callback, "__module__", "") for r in routes()}

    assert not any(m.startswith("django.contrib.admin") for m in modules)
    assert not any(
        isinstance(getattr(p, "app_name", None), AdminSite) for p in get_resolver().url_patterns
    )


def test_superuser_site_history_is_read_only(site_pages, client):
    from wagtail.models import ModelLogEntry

    from .mfa import login_with_mfa
    from .world import build_world

    world = build_world()  # services write real audit entries
    root = world.users["superuser"]
    login_with_mfa(client, root)  # root has TOTP enrolled: the session passed the code
    entries_before = list(ModelLogEntry.objects.values_list("pk", "action", "data"))

    history = client.get("/admin/reports/site-history/")
    posted = client.post("/admin/reports/site-history/", {"action": "delete"})

    assert len(entries_before) >= 3
    assert history.status_code == 200
    assert posted.status_code == 405
    links = re.findall(r'href="(/admin/[^"?#]*)', history.content.decode())
    assert links
    assert [link for link in links if _writes_audit_model(link)] == []
    assert list(ModelLogEntry.objects.values_list("pk", "action", "data")) == entries_before


def test_ledger_rows_refuse_edit_and_delete_even_from_code(site_pages):
    from funding.models import Entry, LedgerTransaction
    from funding.models.ledger import AppendOnlyError

    from .world import build_world

    build_world()
    transaction = LedgerTransaction.objects.first()

    with pytest.raises(AppendOnlyError):
        transaction.memo = "changed"
        transaction.save()
    with pytest.raises(AppendOnlyError):
        Entry.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        Entry.objects.update(amount=0)
