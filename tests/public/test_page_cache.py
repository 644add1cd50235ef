"""Wagtail pages (home, call index, call pages) in the anonymous page cache."""

from datetime import timedelta

import pytest
from django.utils import timezone

from portal.core.cache import PAGE_TIMEOUT, _page_timeout
from projects.models import CallIndexPage
from tests.factories.organizations import UserFactory
from tests.factories.projects import make_call

pytestmark = pytest.mark.django_db


def test_home_page_second_request_is_a_hit_after_routing_only(
    client, site_pages, django_assert_num_queries
):
    first = client.get("/")

    # Wagtail finds the site and routes the path (3 queries) before the cache answers.
    with django_assert_num_queries(3):
        second = client.get("/")

    assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("miss", "hit")
    assert second.content == first.content


def test_home_page_cache_per_language_and_large_text(client, site_pages):
    client.get("/")

    assert client.get("/en/")["X-Page-Cache"] == "miss"
    client.cookies["large_text"] = "1"
    assert client.get("/")["X-Page-Cache"] == "miss"


def test_publishing_a_call_invalidates_index_and_home(client, site_pages):
    call = make_call(title="第一期征集")
    index_url = call.get_parent().url
    assert client.get(index_url)["X-Page-Cache"] == "miss"
    assert client.get(index_url)["X-Page-Cache"] == "hit"
    client.get("/")

    make_call(title="新发布的征集")
    index = client.get(index_url)

    assert index["X-Page-Cache"] == "miss"
    assert "新发布的征集" in index.content.decode()
    assert client.get("/")["X-Page-Cache"] == "miss"


def test_republished_call_page_shows_the_new_text(client, site_pages):
    call = make_call(title="旧标题")
    client.get(call.url)
    assert client.get(call.url)["X-Page-Cache"] == "hit"

    call.title = "新标题"
    call.save_revision().publish()
    response = client.get(call.url)

    assert response["X-Page-Cache"] == "miss"
    assert "新标题" in response.content.decode()


def test_unpublish_invalidates(client, site_pages):
    call = make_call()
    index_url = call.get_parent().url
    client.get(index_url)

    call.unpublish()

    assert client.get(index_url)["X-Page-Cache"] == "miss"
    assert client.get(call.url if call.url else f"{index_url}{call.slug}/").status_code == 404


def test_signed_in_user_never_gets_a_cached_page(client, site_pages):
    call = make_call()
    for url in ("/", call.url):
        client.get(url)
        assert client.get(url)["X-Page-Cache"] == "hit"
    client.force_login(UserFactory())

    for url in ("/", call.url):
        response = client.get(url)
        assert response.status_code == 200
        assert "X-Page-Cache" not in response


def test_call_page_expires_at_its_next_state_change(site_pages):
    now = timezone.now()
    closing = make_call(closes_at=now + timedelta(seconds=90))
    later = make_call(closes_at=now + timedelta(days=30))

    assert 0 < _page_timeout(closing, now) <= 90
    assert _page_timeout(later, now) == PAGE_TIMEOUT
    assert _page_timeout(CallIndexPage.objects.first(), now) == PAGE_TIMEOUT


def test_page_behind_a_view_restriction_is_not_stored(client, site_pages):
    from wagtail.models import PageViewRestriction

    call = make_call()
    restriction = PageViewRestriction.objects.create(
        page=call, restriction_type=PageViewRestriction.PASSWORD, password="secret"
    )
    client.post(
        f"/_util/authenticate_with_password/{restriction.pk}/{call.pk}/",
        {"password": "secret", "return_url": call.url},
    )

    first = client.get(call.url)
    second = client.get(call.url)

    assert first.status_code == second.status_code == 200
    assert "X-Page-Cache" not in second or second["X-Page-Cache"] != "hit"
