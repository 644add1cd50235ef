import csv
import io
import json

import pytest

from projects.enums import ProjectStatus, ProjectTier
from tests.factories.organizations import OrganizationFactory
from tests.factories.projects import ProjectFactory, ServiceItemFactory

pytestmark = pytest.mark.django_db

PERSONAL = (
    "13812345678",
    "张三",
    "@example.org",
    "contact_mobile",
    "contact_email",
    "contact_name",
    "donor",
)


def get(client, path, **params):
    response = client.get(f"/api/v1/{path}", params)
    return response, (
        json.loads(response.content)
        if response["Content-Type"].startswith("application/json")
        else None
    )


def test_projects_list_money_and_pagination(client, give):
    for i in range(3):
        ProjectFactory(title=f"项目{i}", goal_amount=100_000)
    project = ProjectFactory(title="社区助老服务", goal_amount=100_000)
    give(project, 12_345)

    response, data = get(client, "projects", page_size=2, sort="raised")

    assert response.status_code == 200
    assert (data["count"], data["pages"], data["page"], data["page_size"]) == (4, 2, 1, 2)
    assert data["next"].endswith("/api/v1/projects?page=2&page_size=2&sort=raised")
    assert data["previous"] is None
    first = data["results"][0]
    assert first["title"] == "社区助老服务"
    assert first["funding"] == {"raised": 12_345, "matched": 0, "disbursed": 0, "spent": 0}
    assert (first["goal_amount"], first["currency"]) == (100_000, "CNY")
    assert response["Cache-Control"] == "public, max-age=300"


def test_projects_same_filters_as_directory(client):
    item = ServiceItemFactory(code="A01")
    hit = ProjectFactory(
        title="社区助老服务", status=ProjectStatus.IN_PROGRESS, tier=ProjectTier.FUNDED_MATCHED
    )
    hit.service_items.set([item])
    ProjectFactory(title="社区助老活动", status=ProjectStatus.COMPLETED)
    ProjectFactory(title="儿童安全", status=ProjectStatus.IN_PROGRESS)

    _, data = get(
        client, "projects", q="助老", status="in_progress", item="A01", tier="funded_matched"
    )

    assert [r["title"] for r in data["results"]] == ["社区助老服务"]
    assert data["results"][0]["service_items"][0]["code"] == "A01"


def test_projects_unknown_fixed_choice_is_400_and_unknown_code_matches_nothing(client):
    ProjectFactory()

    bad, bad_data = get(client, "projects", sort="worst", status="done")
    unknown, unknown_data = get(client, "projects", category="ZZ")
    malformed, malformed_data = get(client, "projects", category="no pe")

    assert bad.status_code == 400
    assert bad_data["detail"] == "Invalid request."
    assert sorted(bad_data["errors"]) == ["sort", "status"]
    assert (unknown.status_code, unknown_data["count"], unknown_data["results"]) == (200, 0, [])
    assert (malformed.status_code, sorted(malformed_data["errors"])) == (400, ["category"])


@pytest.mark.parametrize(
    "params,field",
    [
        ({"page": "abc"}, "page"),
        ({"page": "0"}, "page"),
        ({"page": "99999999999999999999999"}, "page"),
        ({"page_size": "1001"}, "page_size"),
        ({"format": "xml"}, "format"),
    ],
)
def test_projects_bad_paging_is_400(client, params, field):
    ProjectFactory()

    response, data = get(client, "projects", **params)

    assert response.status_code == 400
    assert field in data["errors"]


def test_projects_page_past_the_last_is_404(client):
    ProjectFactory()

    response, data = get(client, "projects", page=5)

    assert response.status_code == 404
    assert data == {"detail": "Not found.", "errors": {"page": ["Out of range: there are 1."]}}


def test_projects_json_page_size_is_capped_at_100(client):
    ProjectFactory()

    response, data = get(client, "projects", page_size=1000)

    assert (response.status_code, data["page_size"]) == (200, 100)


@pytest.mark.parametrize("path", ["stats", "projects", "calls", "organizations"])
def test_unknown_format_is_400(client, path):
    response, data = get(client, path, format="bogus")

    assert response.status_code == 400
    assert list(data["errors"]) == ["format"]


def test_index_lists_the_endpoints_and_the_docs(client):
    response, data = get(client, "")

    assert response.status_code == 200
    assert data["openapi"] == "http://127.0.0.1:8000/api/v1/openapi.json"
    assert data["docs"] == "http://127.0.0.1:8000/api/v1/docs"
    assert [e["path"] for e in data["endpoints"]] == [
        "/api/v1/projects",
        "/api/v1/projects/{id}",
        "/api/v1/calls",
        "/api/v1/calls/{id}",
        "/api/v1/organizations",
        "/api/v1/organizations/{id}",
        "/api/v1/stats",
    ]


def test_docs_are_served_from_our_own_static_files(client):
    html = client.get("/api/v1/docs").content.decode()

    assert '<script src="/static/ninja/swagger-ui-bundle.js">' in html
    assert "cdn" not in html.lower()
    assert "<script>" not in html


def test_project_detail_and_not_found(client, give, live_matching):
    from tests.factories.funding import make_call

    call = make_call("api-call")
    live_matching(call, 1_000_000, sponsor_name="市慈善基金会")
    project = ProjectFactory(call=call, tier=ProjectTier.FUNDED_MATCHED)
    give(project, 10_000, matched=True, donor_name="李四", donor_email="li@example.org")
    hidden = ProjectFactory(status=ProjectStatus.APPLYING)

    response, data = get(client, f"projects/{project.pk}")
    missing, missing_data = get(client, f"projects/{hidden.pk}")
    huge, _ = get(client, "projects/99999999999999999999999")
    text, _ = get(client, "projects/abc")

    assert data["funding"] == {"raised": 10_000, "matched": 10_000, "disbursed": 0, "spent": 0}
    assert data["matched_by"] == [{"name": "市慈善基金会", "amount": 10_000}]
    assert data["match_available"] is True
    assert "李四" not in response.content.decode()
    assert "li@example.org" not in response.content.decode()
    assert (missing.status_code, missing_data["detail"]) == (404, "Not found.")
    assert (huge.status_code, text.status_code) == (400, 400)


def test_projects_csv(client, give):
    project = ProjectFactory(title='=HYPERLINK("x")', goal_amount=50_000)
    give(project, 7_000)

    response = client.get("/api/v1/projects", {"format": "csv"})

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    header = rows[0]
    row = dict(zip(header, rows[1], strict=True))
    assert header[:6] == ["id", "slug", "title", "summary", "status", "tier"]
    assert header.index("funding.raised") < header.index("funding.spent")
    assert row["title"] == '\'=HYPERLINK("x")'
    assert [row[c] for c in ("goal_amount", "funding.raised", "funding.matched")] == [
        "50000",
        "7000",
        "0",
    ]
    assert row["organization.name"] == project.organization.name


def test_etag_not_modified(client):
    ProjectFactory()
    first = client.get("/api/v1/projects")

    second = client.get("/api/v1/projects", HTTP_IF_NONE_MATCH=first["ETag"])

    assert (second.status_code, second.content) == (304, b"")


def test_organizations_have_no_personal_data(client):
    org = OrganizationFactory(name="彩虹社工", contact_email="boss@example.org")
    ProjectFactory(organization=org)

    list_response, data = get(client, "organizations")
    detail_response, detail = get(client, f"organizations/{org.pk}")

    assert [o["name"] for o in data["results"]] == ["彩虹社工"]
    assert detail["project_count"] == 1
    for body in (list_response.content.decode(), detail_response.content.decode()):
        for needle in PERSONAL:
            assert needle not in body


def test_organizations_unverified_are_404(client):
    org = OrganizationFactory(status="draft")

    response, data = get(client, f"organizations/{org.pk}")

    assert (response.status_code, data["detail"]) == (404, "Not found.")


def test_calls_open_first_and_detail(client, site_pages):
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories.projects import make_call

    now = timezone.now()
    closed = make_call(
        title="已截止", opens_at=now - timedelta(days=60), closes_at=now - timedelta(days=30)
    )
    open_call = make_call(
        title="征集中", opens_at=now - timedelta(days=60), closes_at=now + timedelta(days=3)
    )
    ProjectFactory(call=open_call)

    _, data = get(client, "calls")
    _, detail = get(client, f"calls/{open_call.pk}")
    _, only_closed = get(client, "calls", state="closed")
    bad, _ = get(client, "calls", state="nope")

    assert [c["title"] for c in data["results"]][:2] == ["征集中", "已截止"]
    assert data["results"][0]["state"] == "open"
    assert detail["total_budget"] == 100_000_000 and detail["currency"] == "CNY"
    assert len(detail["projects"]) == 1
    assert "contact_phone" not in detail and "contact_email" not in detail
    assert [c["id"] for c in only_closed["results"]] == [closed.pk]
    assert bad.status_code == 400


def test_stats_totals(client, give):
    project = ProjectFactory()
    give(project, 5_000)
    give(project, 6_000)

    _, data = get(client, "stats")

    assert data["totals"] == {"raised": 11_000, "matched": 0, "disbursed": 0, "spent": 0}
    assert (data["projects"], data["donations"], data["currency"]) == (1, 2, "CNY")


def test_openapi_schema_lists_endpoints(client):
    response, data = get(client, "openapi.json")

    assert set(data["paths"]) == {
        "/api/v1/",
        "/api/v1/projects",
        "/api/v1/projects/{project_id}",
        "/api/v1/calls",
        "/api/v1/calls/{call_id}",
        "/api/v1/organizations",
        "/api/v1/organizations/{organization_id}",
        "/api/v1/stats",
    }
    params = {p["name"] for p in data["paths"]["/api/v1/projects"]["get"]["parameters"]}
    assert {"q", "category", "district", "progress", "sort", "page", "format"} <= params
    body = response.content.decode()
    assert '"enum": ["newest", "raised", "closest", "ending", "random"]' in body
    assert '"text/csv"' in body


@pytest.mark.parametrize("n", [1, 3])
def test_projects_list_query_count_constant(client, django_assert_num_queries, n, give):
    item = ServiceItemFactory(code="Q01")
    for _ in range(n):
        project = ProjectFactory()
        project.service_items.set([item])
        give(project, 100)

    # count, page ids, rows, service items with categories, balances (+1 for the calls
    # of the page when projects have one)
    with django_assert_num_queries(5):
        response = client.get("/api/v1/projects")

    assert len(json.loads(response.content)["results"]) == n


@pytest.mark.parametrize("n", [1, 3])
def test_organizations_list_query_count_constant(client, django_assert_num_queries, n):
    for _ in range(n):
        ProjectFactory()

    with django_assert_num_queries(3):
        response = client.get("/api/v1/organizations")

    assert len(json.loads(response.content)["results"]) == n


@pytest.mark.parametrize("n", [1, 3])
def test_calls_list_query_count_constant(client, site_pages, django_assert_num_queries, n):
    from tests.factories.projects import make_call as make_site_call

    for _ in range(n):
        make_site_call()
    client.get("/api/v1/calls", {"warm": "1"})  # Wagtail's site root cache

    with django_assert_num_queries(2):
        response = client.get("/api/v1/calls")

    assert len(json.loads(response.content)["results"]) == n
