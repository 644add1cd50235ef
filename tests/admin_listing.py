"""Shared by the admin-listing query-count tests (review, evaluation)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def assert_index_queries_constant(client, viewset_name: str, make) -> None:
    """The admin index of ``viewset_name`` costs as many queries with 3 rows as with 1
    (``make()`` adds a row): its related rows are loaded in the listing's query."""
    url = reverse(f"{viewset_name}:index")
    make()
    client.get(url)  # warm caches (site, permissions, menu)
    one = _queries(client, url)
    make()
    make()

    three = _queries(client, url)

    assert three == one, f"{viewset_name}: {one} queries for 1 row, {three} for 3"
