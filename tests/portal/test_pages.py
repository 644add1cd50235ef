import pytest
from wagtail.models import Page
from wagtail.test.utils import WagtailPageTestCase

from portal.models import HomePage, NewsIndexPage, NewsPage, PrivacyPolicyPage, StandardPage
from projects.models import CallIndexPage


class PageTypeRulesTests(WagtailPageTestCase):
    def test_home_page_only_under_root(self):
        self.assertAllowedParentPageTypes(HomePage, {Page})

    def test_home_page_children(self):
        self.assertAllowedSubpageTypes(
            HomePage, {StandardPage, NewsIndexPage, PrivacyPolicyPage, CallIndexPage}
        )

    def test_privacy_policy_only_under_home(self):
        self.assertAllowedParentPageTypes(PrivacyPolicyPage, {HomePage})
        self.assertAllowedSubpageTypes(PrivacyPolicyPage, set())

    def test_news_pages_only_under_news_index(self):
        self.assertAllowedParentPageTypes(NewsPage, {NewsIndexPage})
        self.assertAllowedSubpageTypes(NewsPage, set())

    def test_standard_pages_nest(self):
        self.assertAllowedParentPageTypes(StandardPage, {HomePage, StandardPage})


@pytest.mark.django_db
def test_home_page_renders_every_block(client, site_pages):
    html = client.get("/").content.decode()

    assert 'class="hero"' in html
    assert "正在征集" in html
    assert "平台数据" in html
    assert "新闻动态" in html
    assert "2026年度公益创投大赛启动" in html


@pytest.mark.django_db
def test_home_page_query_count_does_not_grow_with_news(
    client, site_pages, django_assert_max_num_queries
):
    client.get("/")  # warm caches (site root, locales)
    with django_assert_max_num_queries(40):
        response = client.get("/")

    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("page_param", ["2", "abc", "-1", "99999999999999999999"])
def test_news_index_tolerates_any_page_number(client, site_pages, page_param):
    response = client.get("/news/", {"page": page_param})

    assert response.status_code == 200
    assert "九九公益日配捐结果公示" in response.content.decode()


@pytest.mark.django_db
def test_news_page_shows_body_and_back_link(client, site_pages):
    html = client.get("/en/news/news-1/").content.decode()

    assert "2026 charity project competition opens" in html
    assert "Back to news" in html


@pytest.mark.django_db
def test_footer_is_per_language(client, site_pages):
    assert "市社会组织服务中心" in client.get("/").content.decode()
    assert "City Social Organization Service Centre" in client.get("/en/").content.decode()


@pytest.mark.django_db
def test_sitemap_lists_pages_in_both_languages(client, site_pages):
    xml = client.get("/sitemap.xml").content.decode()

    assert "/about/</loc>" in xml
    assert "<loc>http://localhost/about/</loc>" in xml
    assert "<loc>http://localhost/en/about/</loc>" in xml


@pytest.mark.django_db
def test_robots_txt_points_at_sitemap_and_hides_admin(client):
    text = client.get("/robots.txt").content.decode()

    assert "Disallow: /admin/" in text
    assert "Sitemap: http://127.0.0.1:8000/sitemap.xml" in text


@pytest.mark.django_db
def test_large_text_toggle_sets_cookie_and_stays_on_site(client, site_pages):
    response = client.get("/a11y/large-text/", {"next": "/about/"})
    html = client.get("/about/").content.decode()
    evil = client.get("/a11y/large-text/", {"next": "https://evil.example/"})

    assert response.status_code == 302
    assert response["Location"] == "/about/"
    assert 'class="large-text"' in html
    assert evil["Location"] == "/"
