"""#14: the open-data API (``portal/api``) per endpoint × role.

Every endpoint of the API is public open data: it answers every role with the same
body (nothing depends on who asks, so a signed-in reviewer, finance officer or
superuser learns nothing more than a visitor), its JSON carries no contact or personal
field, and an organization that is not verified is a 404 for everyone, its own members
and programme staff included (they read it on the site, behind ``has_perm``).

A new endpoint must be classified here: public (this test then holds it to the rules
above) or named with the permission it asks (``user.has_perm``), which this test then
checks for every role. There is no non-public endpoint today.
"""

import json

import pytest
from django.test import Client

from organizations.enums import VerificationStatus
from organizations.middleware import has_totp
from tests.factories.organizations import MembershipFactory, OrganizationFactory

from .matrix import routes
from .mfa import login_with_mfa
from .urls_site import build
from .world import (
    ROLES,
    SECRET_ADDRESS,
    SECRET_CONTACT_EMAIL,
    SECRET_DONOR_NAME,
    SECRET_EMAIL,
    SECRET_MOBILE,
    build_world,
)

pytestmark = pytest.mark.django_db

# Endpoints serving public data to everyone, with the query strings requested.
PUBLIC_ENDPOINTS = {
    "api-v1:api-root": [""],
    "api-v1:index": [""],
    "api-v1:openapi-json": [""],
    "api-v1:openapi-view": [""],
    "api-v1:list_projects": ["", "?format=csv"],
    "api-v1:get_project": [""],
    "api-v1:list_calls": ["", "?format=csv"],
    "api-v1:get_call": [""],
    "api-v1:list_organizations": ["", "?format=csv"],
    "api-v1:get_organization": [""],
    "api-v1:stats": [""],
}
# Endpoints that serve non-public data: name -> the permission they ask. None today.
PERMISSION_ENDPOINTS: dict[str, str] = {}
# No key of any API answer may name contact or personal data.
PRIVATE_KEYS = {"phone", "mobile", "email", "contact", "address", "id_number", "donor_name"}
SECRETS = [SECRET_MOBILE, SECRET_EMAIL, SECRET_DONOR_NAME, SECRET_ADDRESS, SECRET_CONTACT_EMAIL]


@pytest.fixture
def world(site_pages):
    return build_world()


def _client(world, role) -> Client:
    client = Client()
    user = world.users[role]
    if user is not None:
        login = login_with_mfa if has_totp(user) else Client.force_login
        login(client, user)
    return client


def _keys(value):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from _keys(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _keys(inner)


def _body(response) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode("utf-8-sig")


def test_every_api_endpoint_is_classified():
    names = {route.name for route in routes() if route.name.startswith("api-v1:")}

    assert names == set(PUBLIC_ENDPOINTS) | set(PERMISSION_ENDPOINTS)
    assert not set(PUBLIC_ENDPOINTS) & set(PERMISSION_ENDPOINTS)


def test_public_endpoints_answer_every_role_alike_without_personal_data(world):
    urls = [
        build(name, world) + query
        for name, queries in PUBLIC_ENDPOINTS.items()
        for query in queries
    ]
    anonymous = {url: _body(Client().get(url)) for url in urls}
    differs, leaks, private_keys = [], [], []

    for role in ROLES:
        client = _client(world, role)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (role, url)
            body = _body(response)
            if body != anonymous[url]:
                differs.append((role, url))
            leaks += [(role, url, secret) for secret in SECRETS if secret in body]
            if response["Content-Type"].startswith("application/json"):
                keys = {key.lower() for key in _keys(json.loads(body))}
                private_keys += [
                    (role, url, key) for key in keys if any(p in key for p in PRIVATE_KEYS)
                ]

    assert differs == []
    assert leaks == []
    assert private_keys == []


def test_an_unverified_organization_is_not_in_the_api_for_anyone(world):
    draft = OrganizationFactory(
        name="未认证的草稿机构", slug="draft-api", status=VerificationStatus.DRAFT
    )
    MembershipFactory(organization=draft, user=world.users["applicant"])
    answers = {}

    for role in ROLES:
        client = _client(world, role)
        detail = client.get(f"/api/v1/organizations/{draft.pk}")
        listing = _body(client.get("/api/v1/organizations?format=csv"))
        answers[role] = (detail.status_code, "未认证的草稿机构" in listing)

    assert answers == dict.fromkeys(ROLES, (404, False))
