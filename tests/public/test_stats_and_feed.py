import re
from xml.etree import ElementTree

import pytest

from portal.stats import site_stats
from projects.enums import ProjectTier
from tests.factories.funding import make_call
from tests.factories.organizations import DistrictFactory, RegionFactory
from tests.factories.projects import ProjectFactory, ServiceCategoryFactory, ServiceItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def figures(give, live_matching):
    district = DistrictFactory(code="440304", name="福田区", name_en="Futian")
    sub = RegionFactory(code="440304001", parent=district)
    elder = ServiceCategoryFactory(code="A", name="为老服务", name_en="Elder care")
    youth = ServiceCategoryFactory(code="B", name="儿童青少年", name_en="Youth")
    call = make_call("stats-call")
    live_matching(call, 1_000_000, sponsor_name="市慈善基金会")
    one = ProjectFactory(region=sub, call=call, tier=ProjectTier.FUNDED_MATCHED)
    one.service_items.set(
        [
            ServiceItemFactory(code="A01", category=elder),
            ServiceItemFactory(code="B01", category=youth),
        ]
    )
    two = ProjectFactory(region=district)
    two.service_items.set([ServiceItemFactory(code="A02", category=elder)])
    give(one, 10_000, matched=True)
    give(two, 5_000)
    return one, two


def test_site_stats_by_category_district_year(figures):
    stats = site_stats()

    assert stats.totals == {"raised": 15_000, "matched": 10_000, "disbursed": 0, "spent": 0}
    assert [(b.key, b.projects, b.raised, b.matched) for b in stats.by_category] == [
        ("A", 2, 15_000, 10_000),
        ("B", 1, 10_000, 10_000),
    ]
    assert [(b.key, b.projects, b.raised) for b in stats.by_district] == [("440304", 2, 15_000)]
    assert [b.raised for b in stats.by_year] == [15_000]
    assert stats.top_sponsors == [{"name": "市慈善基金会", "matched": 10_000}]
    assert (stats.projects, stats.donations) == (2, 2)


def test_stats_page_accessible_svg_charts(client, site_pages, figures):
    html = client.get("/stats/").content.decode()

    assert html.count('role="img"') == 3
    assert re.search(r"<desc[^>]*>[^<]*为老服务 = ¥150[^<]*</desc>", html)
    assert "福田区" in html
    assert "市慈善基金会" in html
    assert "<script" not in html.split("<main", 1)[1]


def test_public_charts_keep_text_at_least_12px_on_a_390px_phone(client, site_pages, figures):
    """A 390 px phone leaves 358 px of content; every chart on /stats/ is drawn on a
    canvas narrow enough that its smallest text, scaled to that width, is >= 12 px."""
    from portal.core.charts import FONT_SIZE

    page = client.get("/stats/").content.decode()
    charts = [
        (float(re.search(r'viewBox="0 0 ([\d.]+) ', svg).group(1)),
         min(int(px) for px in re.findall(r"font-size:(\d+)px", svg)))
        for svg in re.findall(r"<svg\b.*?</svg>", page, flags=re.DOTALL)
        if 'role="img"' in svg
    ]  # fmt: skip

    assert len(charts) == 3
    assert {font for _width, font in charts} == {FONT_SIZE}
    assert [font * 358 / width >= 12 for width, font in charts] == [True] * 3


def test_stats_page_english(client, site_pages, figures):
    html = client.get("/en/stats/").content.decode()

    assert "Elder care" in html
    assert "Money raised and matched by district" in html


def test_feed_lists_new_calls_and_funded_projects(client, site_pages):
    from tests.factories.projects import make_call as make_site_call

    make_site_call(title="2027年春季征集")
    ProjectFactory(title="获资助项目", tier=ProjectTier.FUNDED_MATCHED)
    ProjectFactory(title="项目库项目", tier=ProjectTier.RESERVE)

    response = client.get("/feeds/updates.atom")

    root = ElementTree.fromstring(response.content)  # noqa: S314 - our own feed
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = sorted(e.text for e in root.findall("a:entry/a:title", ns))
    assert response["Content-Type"].startswith("application/atom+xml")
    assert titles == ["新征集：2027年春季征集", "获得资助：获资助项目"]


@pytest.mark.parametrize("n", [1, 3])
def test_site_stats_query_count_constant(give, django_assert_num_queries, n):
    category = ServiceCategoryFactory(code="C", name="社区治理", name_en="Community")
    item = ServiceItemFactory(code="C01", category=category)
    for i in range(n):
        project = ProjectFactory(
            region=RegionFactory(code=f"44030400{i}", parent=DistrictFactory(code=f"44030{i}"))
        )
        project.service_items.set([item])
        give(project, 1_000 + i)

    with django_assert_num_queries(QUERIES_STATS):
        stats = site_stats()

    assert stats.projects == n
    assert stats.totals["raised"] == sum(1_000 + i for i in range(n))


QUERIES_STATS = 9
