import pytest
from django.utils import translation
from wagtail.models import Locale, Page

from portal.core.search import index_text, query_terms, search_pages


def test_index_text_adds_unigrams_and_bigrams_for_chinese():
    assert index_text("社区助老") == "社 区 助 老 社区 区助 助老"


def test_index_text_keeps_latin_words_lowercased():
    assert index_text("Elder Care 长者") == "elder care 长 者 长者"


def test_query_terms_turns_chinese_into_bigrams():
    assert query_terms("助老服务") == ["助老", "老服", "服务"]


def test_query_terms_drops_operators_and_punctuation():
    assert query_terms('"; DROP TABLE x; -- 老*') == ["drop", "table", "x", "老"]


def test_query_terms_of_punctuation_only_is_empty():
    assert query_terms("!!! ***") == []


@pytest.mark.django_db
def test_search_pages_finds_chinese_substring(site_pages):
    with translation.override("zh-hans"):
        pages = Page.objects.live().filter(locale=Locale.get_active()).specific()

        titles = {p.title for p in search_pages(pages, "孵化营")}

    assert titles == {"第三期社区社会组织孵化营开营"}


@pytest.mark.django_db
def test_search_view_shows_results_in_active_language(client, site_pages):
    zh = client.get("/search/", {"q": "配捐"})
    en = client.get("/en/search/", {"q": "matching"})

    assert "九九公益日<mark>配捐</mark>结果公示" in zh.content.decode()
    assert "Giving-day <mark>matching</mark> results published" in en.content.decode()
    assert "九九公益日" not in en.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["' OR 1=1 --", "%%%", "a" * 5000, "<script>", "页"])
def test_search_view_survives_hostile_queries(client, site_pages, query):
    response = client.get("/search/", {"q": query, "page": "x"})

    assert response.status_code == 200
    assert "<script>" not in response.content.decode().split("<main", 1)[1]
