import pytest

from projects.enums import ProjectStatus
from tests.factories.organizations import UserFactory
from tests.factories.projects import ProjectFactory

pytestmark = pytest.mark.django_db


def test_anonymous_directory_second_request_is_a_cache_hit(
    client, site_pages, django_assert_num_queries
):
    ProjectFactory(title="社区助老服务")
    first = client.get("/projects/")

    with django_assert_num_queries(0):
        second = client.get("/projects/")

    assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("miss", "hit")
    assert second.content == first.content


def test_cache_is_per_language(client, site_pages):
    ProjectFactory(title="社区助老服务")
    client.get("/projects/")

    english = client.get("/en/projects/")

    assert english["X-Page-Cache"] == "miss"
    assert "Show projects" in english.content.decode()


def test_cache_keeps_large_text_choice_apart(client, site_pages):
    client.get("/projects/")
    client.cookies["large_text"] = "1"

    response = client.get("/projects/")

    assert response["X-Page-Cache"] == "miss"
    assert 'class="large-text"' in response.content.decode()


def test_new_project_invalidates_cached_directory(client, site_pages):
    ProjectFactory(title="第一个项目")
    client.get("/projects/")

    ProjectFactory(title="第二个项目")
    response = client.get("/projects/")

    assert response["X-Page-Cache"] == "miss"
    assert "第二个项目" in response.content.decode()


def test_donation_invalidates_cached_project_page(client, site_pages, give):
    project = ProjectFactory(goal_amount=100_000)
    client.get(project.get_absolute_url())

    give(project, 12_300)
    response = client.get(project.get_absolute_url())

    assert response["X-Page-Cache"] == "miss"
    assert "¥123.00" in response.content.decode()


def test_status_change_invalidates_cached_project_page(client, site_pages):
    project = ProjectFactory()
    client.get(project.get_absolute_url())

    project.status = ProjectStatus.APPLYING
    project.save()
    response = client.get(project.get_absolute_url())

    assert response.status_code == 404


def test_signed_in_user_bypasses_cache(client, site_pages):
    ProjectFactory()
    client.get("/projects/")
    client.force_login(UserFactory())

    response = client.get("/projects/")

    assert "X-Page-Cache" not in response
    assert "退出" in response.content.decode() or "Log out" in response.content.decode()


def test_not_found_is_not_cached(client, site_pages):
    client.get("/projects/nope/")

    ProjectFactory(slug="nope")
    response = client.get("/projects/nope/")

    assert response.status_code == 200
