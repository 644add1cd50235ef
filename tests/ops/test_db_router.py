"""The read-replica router sends only marked, non-transactional public reads away."""

import pytest
from django.contrib.sessions.models import Session
from django.db import transaction
from django.test import RequestFactory

from organizations.models import Organization
from portal.core import db_routers
from portal.core.db_routers import (
    PublicReadReplicaRouter,
    ReplicaReadMiddleware,
    use_replica_for_reads,
)


@pytest.fixture
def replica(monkeypatch):
    monkeypatch.setattr(db_routers, "replica_configured", lambda: True)
    return PublicReadReplicaRouter()


def test_unmarked_reads_use_the_primary(replica):
    assert replica.db_for_read(Organization) == "default"


@pytest.mark.django_db(transaction=True)
def test_marked_reads_go_to_the_replica_outside_transactions(replica):
    with use_replica_for_reads():
        assert replica.db_for_read(Organization) == "replica"


@pytest.mark.django_db(transaction=True)
def test_reads_inside_a_transaction_stay_on_the_primary(replica):
    with use_replica_for_reads(), transaction.atomic():
        assert replica.db_for_read(Organization) == "default"


@pytest.mark.django_db
def test_sessions_always_come_from_the_primary(replica):
    with use_replica_for_reads():
        assert replica.db_for_read(Session) == "default"


def test_writes_and_migrations_only_on_the_primary(replica):
    with use_replica_for_reads():
        assert replica.db_for_write(Organization) == "default"
    assert replica.allow_migrate("replica", "organizations") is False
    assert replica.allow_migrate("default", "organizations") is True


def test_without_replica_nothing_changes():
    with use_replica_for_reads():
        assert PublicReadReplicaRouter().db_for_read(Organization) == "default"


def _seen_by_view(method, view_name, settings):
    settings.READ_REPLICA_VIEWS = ["projects:list"]
    seen = {}

    def view(request):
        seen["marked"] = db_routers._replica_ok.get()
        return "response"

    middleware = ReplicaReadMiddleware(lambda request: view(request))
    request = getattr(RequestFactory(), method)("/projects/")
    request.resolver_match = type("Match", (), {"view_name": view_name})()

    def get_response(req):
        middleware.process_view(req, view, (), {})
        return view(req)

    middleware.get_response = get_response
    assert middleware(request) == "response"
    assert db_routers._replica_ok.get() is False  # reset after the request
    return seen["marked"]


def test_middleware_marks_listed_get_views_only(settings):
    assert _seen_by_view("get", "projects:list", settings) is True
    assert _seen_by_view("post", "projects:list", settings) is False
    assert _seen_by_view("get", "funding_public:donate", settings) is False
