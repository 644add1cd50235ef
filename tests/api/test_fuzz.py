"""Fuzz the query parameters of every list endpoint (and the HTML directory): any input
gives 200, a 400 with a JSON explanation or a 404 for a page past the last, never a 500."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projects.enums import ProjectTier
from tests.factories.projects import ProjectFactory, ServiceItemFactory

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

nasty = st.one_of(
    st.text(max_size=40),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "-1",
            "1e9",
            "NaN",
            "true",
            "false",
            "null",
            "[]",
            "A",
            "A01",
            "full",
            "raised",
            "random",
            "csv",
            "json",
            "' OR 1=1 --",
            "%",
            "_",
            "\\",
            "\x00",
            "助老",
            "社区助老服务",
            "<script>alert(1)</script>",
            "9" * 40,
        ]
    ),
)

ENDPOINTS = {
    "projects": [
        "q",
        "category",
        "item",
        "district",
        "subdistrict",
        "call",
        "year",
        "status",
        "tier",
        "org_type",
        "progress",
        "accepting",
        "sort",
        "page",
        "page_size",
        "format",
        "unknown",
    ],
    "calls": ["lang", "state", "page", "page_size", "format"],
    "organizations": [
        "q",
        "org_type",
        "district",
        "service_area",
        "rating",
        "page",
        "page_size",
        "format",
    ],
}


@pytest.fixture
def data(db):
    item = ServiceItemFactory(code="A01")
    for i in range(3):
        project = ProjectFactory(title=f"社区助老服务{i}", tier=ProjectTier.FUNDED_MATCHED)
        project.service_items.set([item])


def _check(response):
    assert response.status_code in (200, 400, 404), response.status_code
    if response.status_code == 400:
        body = json.loads(response.content)
        assert body["detail"] in ("Invalid request.", "Invalid filter.")
        assert body["errors"]
    elif response.status_code == 404:
        assert list(json.loads(response.content)["errors"]) == ["page"]
    else:
        assert response["Content-Type"] in (
            "application/json; charset=utf-8",
            "text/csv; charset=utf-8",
        )


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_list_endpoint_never_500(client, data, endpoint):
    @FUZZ
    @given(st.dictionaries(st.sampled_from(ENDPOINTS[endpoint]), nasty, max_size=5))
    def run(params):
        _check(client.get(f"/api/v1/{endpoint}", params))

    run()


@FUZZ
@given(
    st.one_of(
        st.integers(min_value=-(10**25), max_value=10**25).map(str),
        st.text(
            alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/?#"),
            min_size=1,
            max_size=20,
        ),
    )
)
def test_detail_endpoints_never_500(client, data, ident):
    for endpoint in ("projects", "calls", "organizations"):
        response = client.get(f"/api/v1/{endpoint}/{ident}")
        assert response.status_code in (200, 400, 404)


@FUZZ
@given(st.dictionaries(st.sampled_from(ENDPOINTS["projects"]), nasty, max_size=5))
def test_directory_page_never_500(client, site_pages, data, params):
    response = client.get("/projects/", params)

    assert response.status_code == 200
