"""Every public page is reachable from the home page within two clicks (#19)."""

import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from tests.factories.organizations import CohortFactory, OrganizationFactory
from tests.factories.projects import CommunityNeedFactory, ProjectFactory, make_call

HREF = re.compile(r'(?:href|action)="([^"#]*)"')
SKIP = ("/admin/", "/accounts/logout", "/static/", "/media/", "/documents/")


def _links(client, path: str) -> set[str]:
    response = client.get(path)
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return set()
    found = set()
    for href in HREF.findall(response.content.decode()):
        parts = urlsplit(href.replace("&amp;", "&"))
        if parts.netloc and parts.netloc != "testserver":
            continue
        if parts.path.startswith("/") and not parts.path.startswith(SKIP):
            found.add(parts.path)
    return found


@pytest.fixture
def public_site(site_pages):
    from funding.models import Settlement

    open_call = make_call(title="开放中的征集")
    finished = make_call(title="已完成的征集")
    Settlement.objects.create(call=finished, total=0)
    project = ProjectFactory(call=open_call)
    need = CommunityNeedFactory()
    cohort = CohortFactory()
    return {
        "call": open_call.url,
        "finished call": finished.url,
        "matching results": reverse("funding_public:settlement", args=[finished.pk]),
        "project": project.get_absolute_url(),
        "organization": project.organization.get_absolute_url(),
        "need": need.get_absolute_url(),
        "cohort": reverse("organizations:cohort", args=[cohort.slug]),
        "other organization": OrganizationFactory().get_absolute_url(),
    }


@pytest.mark.django_db
def test_every_public_page_is_within_two_clicks_of_home(client, public_site):
    first = _links(client, "/")
    second = set(first)
    for path in sorted(first):
        second |= _links(client, path)

    expected = {
        "projects": "/projects/",
        "organizations": "/organizations/",
        "needs": "/needs/",
        "incubation": "/incubation/",
        "statistics": "/stats/",
        "donate": reverse("funding_public:donate_general"),
        "open data": "/api/v1/",
        "API docs": "/api/v1/docs",
        "search": "/search/",
        "feed": "/feeds/updates.atom",
        "English home": "/en/",
        "news": "/news/",
        **public_site,
    }
    unreachable = {name: path for name, path in expected.items() if path not in second}
    assert unreachable == {}
