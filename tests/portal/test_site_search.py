"""The site-wide search (/search/) and the directories' keyword boxes: one engine, fixed
queries with their expected hits, only public objects, constant queries per page.

Runs on SQLite and, with DATABASE_URL pointing at PostgreSQL, on PostgreSQL."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from organizations.enums import RegionLevel, VerificationStatus
from portal.core.search import highlight, matching
from portal.site_search import site_search
from projects.enums import NeedStatus, ProjectStatus
from projects.models import Project
from tests.factories.organizations import OrganizationFactory, RegionFactory
from tests.factories.projects import (
    CommunityNeedFactory,
    ProjectFactory,
    ServiceCategoryFactory,
    ServiceItemFactory,
    make_call,
)


@pytest.fixture
def world(site_pages):
    """Two districts, three categories with their search keywords, public and hidden
    organizations, projects, needs and calls."""
    futian = RegionFactory(name="福田区", name_en="Futian", level=RegionLevel.DISTRICT)
    yuanling = RegionFactory(name="园岭街道", name_en="Yuanling", parent=futian)
    baihua = RegionFactory(name="百花社区", level=RegionLevel.COMMUNITY, parent=yuanling)
    nanshan = RegionFactory(name="南山区", name_en="Nanshan", level=RegionLevel.DISTRICT)
    yuehai = RegionFactory(name="粤海街道", name_en="Yuehai", parent=nanshan)
    elder = ServiceCategoryFactory(
        name="为老服务", name_en="Elder care", keywords="助老 养老 长者 elderly older people"
    )
    youth = ServiceCategoryFactory(
        name="儿童青少年", name_en="Children and youth", keywords="儿童 孩子 youth"
    )
    disability = ServiceCategoryFactory(
        name="助残", name_en="Disability support", keywords="残障 残疾 disability"
    )
    meals = ServiceItemFactory(category=elder, name="老年助餐", name_en="Meals for the elderly")
    club = ServiceItemFactory(category=youth, name="四点半课堂", name_en="After-school club")
    rehab = ServiceItemFactory(category=disability, name="康复训练", name_en="Rehabilitation")
    sunset = OrganizationFactory(
        name="深圳市福田区夕阳红社会工作服务中心", short_name="夕阳红", region=yuanling
    )
    sunset.service_areas.set([elder])
    rainbow = OrganizationFactory(
        name="深圳市南山区彩虹桥发展中心", short_name="彩虹桥", region=yuehai
    )
    rainbow.service_areas.set([youth])
    draft_org = OrganizationFactory(
        name="夕阳草稿机构",
        short_name="草稿",
        region=yuanling,
        status=VerificationStatus.DRAFT,
    )
    draft_org.service_areas.set([elder])
    canteen = ProjectFactory(
        organization=sunset, title="长者饭堂暖心计划", summary="为独居老人提供午餐。"
    )
    canteen.service_items.set([meals])
    homework = ProjectFactory(
        organization=rainbow, title="放学后的家", summary="放学后陪伴做作业。"
    )
    homework.service_items.set([club])
    walking = ProjectFactory(organization=rainbow, title="同行计划", summary="康复与陪伴。")
    walking.service_items.set([rehab])
    applying = ProjectFactory(
        organization=sunset, title="草稿助餐项目", status=ProjectStatus.APPLYING
    )
    applying.service_items.set([meals])
    CommunityNeedFactory(title="小区缺少吃饭的地方", region=baihua, service_item=meals)
    CommunityNeedFactory(
        title="草稿需求想要助餐", region=baihua, service_item=meals, status=NeedStatus.PENDING
    )
    make_call(
        title="2026年为老服务公益创投项目征集",
        summary="面向社区的长期项目。",
        allowed_service_items=[meals],
    )
    draft_call = make_call(title="草稿征集未发布", allowed_service_items=[meals])
    draft_call.unpublish()
    return {"futian": futian, "nanshan": nanshan, "youth": youth, "elder": elder}


def _hits(query, **filters):
    groups, _total = site_search(query=query, **filters)
    return {g.kind: {h.title for h in g.hits} for g in groups if g.hits}


CALL = "2026年为老服务公益创投项目征集"
CANTEEN = "长者饭堂暖心计划"
SUNSET = "深圳市福田区夕阳红社会工作服务中心"
RAINBOW = "深圳市南山区彩虹桥发展中心"
NEED = "小区缺少吃饭的地方"

# query → expected hits per type (calls, projects, organizations, needs). News and pages
# come from the demo site content and are checked separately.
EXPECTED = {
    "助老": {"call": {CALL}, "project": {CANTEEN}, "organization": {SUNSET}, "need": {NEED}},
    "长者": {"call": {CALL}, "project": {CANTEEN}, "organization": {SUNSET}, "need": {NEED}},
    "助餐": {"call": {CALL}, "project": {CANTEEN}, "need": {NEED}},
    "儿童": {"project": {"放学后的家"}, "organization": {RAINBOW}},
    "残障": {"project": {"同行计划"}},
    "elderly": {"call": {CALL}, "project": {CANTEEN}, "organization": {SUNSET}, "need": {NEED}},
    "youth": {"project": {"放学后的家"}, "organization": {RAINBOW}},
    "夕阳红": {"project": {CANTEEN}, "organization": {SUNSET}},
    "福田区": {"project": {CANTEEN}, "organization": {SUNSET}, "need": {NEED}},
    "Futian": {"project": {CANTEEN}, "organization": {SUNSET}, "need": {NEED}},
}


@pytest.mark.django_db
@pytest.mark.parametrize("query", list(EXPECTED))
def test_site_search_fixed_queries_find_expected_hits(world, query):
    hits = _hits(query)

    found = {kind: titles for kind, titles in hits.items() if kind not in ("news", "page")}
    assert found == EXPECTED[query]


@pytest.mark.django_db
def test_site_search_call_word_finds_the_call_not_only_pages(world):
    hits = _hits("征集")

    assert hits["call"] == {CALL}
    assert "project" not in hits


@pytest.mark.django_db
def test_site_search_year_finds_calls_and_news(world):
    hits = _hits("2026")

    assert hits["call"] == {CALL}
    assert "2026年度公益创投大赛启动" in hits["news"]


@pytest.mark.django_db
def test_site_search_never_shows_hidden_objects(world):
    # 草稿 is in the draft organization, the applying project, the pending need and
    # the unpublished call, and nowhere public.
    groups, total = site_search(query="草稿")

    assert total == 0
    assert [g.count for g in groups] == [0, 0, 0, 0, 0, 0]


@pytest.mark.django_db
def test_site_search_filters_by_type_district_and_category(world):
    by_district = _hits("中心", district=world["nanshan"])
    by_category = _hits("计划", category=world["elder"])
    by_type = _hits("长者", kind="project")

    assert by_district == {"organization": {RAINBOW}, "project": {"放学后的家", "同行计划"}}
    assert by_category == {"project": {CANTEEN}}
    assert by_type == {"project": {CANTEEN}}


@pytest.mark.django_db
def test_site_search_counts_per_type(world):
    groups, total = site_search(query="长者")

    counts = {g.kind: g.count for g in groups}
    assert counts == {
        "call": 1,
        "project": 1,
        "organization": 1,
        "need": 1,
        "news": counts["news"],
        "page": counts["page"],
    }
    assert total == sum(counts.values())


@pytest.mark.django_db
def test_search_page_groups_results_with_counts_and_marks(client, world):
    response = client.get("/search/", {"q": "长者"})

    html = response.content.decode()
    assert "<mark>长者</mark>饭堂暖心计划" in html
    assert 'href="/projects/' in html
    assert "?q=%E9%95%BF%E8%80%85&amp;type=project" in html


@pytest.mark.django_db
def test_search_page_reports_a_bad_filter_and_still_searches(client, world):
    response = client.get("/search/", {"q": "长者", "district": "abc", "type": "bogus"})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert"' in html
    assert "<mark>长者</mark>饭堂暖心计划" in html


@pytest.mark.django_db
def test_search_page_queries_constant_with_one_or_many_results(client, world):
    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            client.get("/search/", {"q": "暖心"})
        return len(ctx.captured_queries)

    count_queries()  # first request warms per-process caches (site root paths)
    one = count_queries()
    org = OrganizationFactory(name="深圳市社工服务中心")
    for i in range(3):
        ProjectFactory(organization=org, title=f"暖心项目{i}")
    many = count_queries()

    assert _hits("暖心")["project"] == {CANTEEN, "暖心项目0", "暖心项目1", "暖心项目2"}
    assert many == one


@pytest.mark.django_db
def test_project_directory_keyword_uses_the_same_engine(client, world):
    response = client.get("/projects/", {"q": "助老"})

    html = response.content.decode()
    assert CANTEEN in html
    assert "放学后的家" not in html
    assert "草稿助餐项目" not in html


@pytest.mark.django_db
def test_organization_and_needs_keyword_boxes_use_the_same_engine(client, world):
    orgs = client.get("/organizations/", {"q": "夕阳红"}).content.decode()
    needs = client.get("/needs/", {"q": "助餐"}).content.decode()

    assert SUNSET in orgs
    assert "夕阳草稿机构" not in orgs
    assert NEED in needs
    assert "草稿需求想要助餐" not in needs


@pytest.mark.django_db
def test_index_follows_renames_and_new_service_items(world):
    project = Project.objects.get(title="放学后的家")
    org = project.organization

    org.short_name = "虹桥之家"
    org.save()
    project.service_items.add(ServiceItemFactory(category=world["elder"], name="助浴"))

    assert set(matching(Project.objects.all(), "虹桥之家")) == {
        project,
        *Project.objects.filter(title="同行计划"),
    }
    assert project in matching(Project.objects.all(), "助浴")


def test_highlight_escapes_and_marks_words():
    assert highlight("<b>长者</b>饭堂", "长者 <b>") == (
        "&lt;<mark>b</mark>&gt;<mark>长者</mark>&lt;/<mark>b</mark>&gt;饭堂"
    )


@pytest.mark.django_db
def test_matching_with_a_backend_without_subqueries(world, monkeypatch):
    """Elasticsearch-like backends hand back objects, not a queryset: the same answer."""
    import portal.core.search as search

    real = search.get_search_backend()

    class ListBackend:
        def search(self, *args, **kwargs):
            return list(real.search(*args, **kwargs))

    monkeypatch.setattr(search, "get_search_backend", lambda: ListBackend())

    titles = {p.title for p in matching(Project.objects.public(), "助老")}

    assert titles == {CANTEEN}


@pytest.mark.django_db
def test_bulk_created_rows_are_found_once_indexed_in_bulk(world):
    from portal.core.search import index_bulk

    org = OrganizationFactory(name="深圳市批量机构")
    Project.objects.bulk_create(
        [Project(organization=org, title=f"批量导入项目{n}", slug=f"bulk-{n}") for n in range(3)]
    )
    before = set(matching(Project.objects.public(), "批量导入"))

    index_bulk(Project.get_indexed_objects().filter(slug__startswith="bulk-"))

    after = {p.title for p in matching(Project.objects.public(), "批量导入")}
    assert before == set()
    assert after == {"批量导入项目0", "批量导入项目1", "批量导入项目2"}


@pytest.mark.django_db(transaction=False)
def test_demo_data_answers_the_fixed_queries():
    from io import StringIO

    from django.core.management import call_command
    from wagtail.models import Locale

    from projects.models import CallPage

    call_command("seed_demo", stdout=StringIO())
    zh_calls = CallPage.objects.live().filter(locale=Locale.objects.get(language_code="zh-hans"))

    for query in ("助老", "长者", "助餐", "elderly"):
        assert "长者饭堂暖心助餐计划" in _hits(query, kind="project")["project"], query
    assert _hits("夕阳红", kind="organization") == {
        "organization": {"深圳市福田区夕阳红为老服务中心"}
    }
    assert _hits("征集", kind="call")["call"] == {c.title for c in zh_calls if "征集" in c.title}
    assert _hits("2026", kind="call")["call"] == {c.title for c in zh_calls if "2026" in c.title}
