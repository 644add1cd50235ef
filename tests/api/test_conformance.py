"""The open-data API conforms to its own OpenAPI document (schemathesis, every check).

Every operation of ``/api/v1/openapi.json`` is called with generated parameters, valid
and invalid: valid ones must be accepted (2xx, or 404 for a page past the last), invalid
ones refused with a 400, every response must match its documented status, media type
and schema, and nothing may answer 5xx.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from portal.wsgi import application
from projects.enums import ProjectTier
from tests.factories.organizations import OrganizationFactory
from tests.factories.projects import ProjectFactory, ServiceItemFactory

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def keep_connection():
    """Requests go straight to the WSGI application, whose end-of-request signal would
    close the test's database connection (and its transaction); Django's own test
    client disconnects the same receivers."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def data(db, keep_connection):
    item = ServiceItemFactory(code="A01")
    for i in range(2):
        project = ProjectFactory(title=f"社区助老服务{i}", tier=ProjectTier.FUNDED_MATCHED)
        project.service_items.set([item])
    OrganizationFactory(name="彩虹社工")


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_openapi_document(case, data):
    case.call_and_validate()
