import re
from datetime import UTC, datetime

import pytest
import time_machine

from funding.enums import AccountKind, TransactionKind
from funding.services import reconcile as funding_reconcile
from projects import directory
from projects.directory import filter_projects, money_by_project, public_projects
from projects.enums import ProjectStatus, ProjectTier
from tests.factories.organizations import DistrictFactory, OrganizationFactory, RegionFactory
from tests.factories.projects import ProjectFactory, ServiceCategoryFactory, ServiceItemFactory

pytestmark = pytest.mark.django_db


def titles(data, **kwargs):
    return [p.title for p in filter_projects(data, **kwargs).qs]


def test_ledger_kind_mirrors_equal_funding_enums():
    assert set(directory.RAISED_KINDS) == set(funding_reconcile.RAISED_KINDS)
    assert set(directory.MATCH_KINDS) == set(funding_reconcile.MATCH_KINDS)
    assert directory.DISBURSEMENT_KINDS == (TransactionKind.DISBURSEMENT.value,)
    assert directory.PROJECT_ACCOUNT_KIND == AccountKind.PROJECT.value


def test_search_chinese_bigram_finds_substring():
    ProjectFactory(title="社区助老服务")
    ProjectFactory(title="儿童安全教育")

    assert titles({"q": "助老"}) == ["社区助老服务"]
    assert titles({"q": "老服务"}) == ["社区助老服务"]
    assert titles({"q": "助 安全"}) == []


def test_search_matches_summary_and_organization_name():
    org = OrganizationFactory(name="彩虹社工服务中心")
    ProjectFactory(title="项目甲", organization=org)
    ProjectFactory(title="项目乙", summary="为独居长者提供上门探访")
    ProjectFactory(title="项目丙")

    assert titles({"q": "彩虹"}) == ["项目甲"]
    assert titles({"q": "独居"}) == ["项目乙"]


def test_search_injection_text_is_plain_terms():
    ProjectFactory(title="社区助老服务")

    assert titles({"q": "'; DROP TABLE projects_project; --"}) == []
    assert titles({"q": "%_%"}) == []


def test_filter_category_and_item_without_duplicates():
    elder = ServiceCategoryFactory(code="A", name="为老服务")
    meals, visits = (
        ServiceItemFactory(code="A01", category=elder),
        ServiceItemFactory(code="A02", category=elder),
    )
    both = ProjectFactory(title="两项都做")
    both.service_items.set([meals, visits])
    only_visits = ProjectFactory(title="只做探访")
    only_visits.service_items.set([visits])
    ProjectFactory(title="无关")

    assert sorted(titles({"category": "A"})) == ["两项都做", "只做探访"]
    assert titles({"item": "A01"}) == ["两项都做"]


def test_filter_district_and_subdistrict_cover_the_tree():
    district = DistrictFactory(code="440304")
    sub = RegionFactory(code="440304001", parent=district)
    community = RegionFactory(code="440304001001", parent=sub, level="community")
    other = RegionFactory(code="440305001")
    ProjectFactory(title="街道", region=sub)
    ProjectFactory(title="社区", region=community)
    ProjectFactory(title="区", region=district)
    ProjectFactory(title="别处", region=other)

    assert sorted(titles({"district": "440304"})) == ["区", "社区", "街道"]
    assert sorted(titles({"subdistrict": "440304001"})) == ["社区", "街道"]


def test_filter_status_tier_org_type_accepting():
    ProjectFactory(
        title="实施中", status=ProjectStatus.IN_PROGRESS, tier=ProjectTier.FUNDED_MATCHED
    )
    ProjectFactory(
        title="已结项",
        status=ProjectStatus.COMPLETED,
        tier=ProjectTier.RESERVE,
        organization=OrganizationFactory(org_type="foundation"),
    )
    ProjectFactory(title="申报中", status=ProjectStatus.APPLYING)

    assert titles({"status": "completed"}) == ["已结项"]
    assert titles({"tier": "funded_matched"}) == ["实施中"]
    assert titles({"org_type": "foundation"}) == ["已结项"]
    assert titles({"accepting": "true"}) == ["实施中"]
    assert "申报中" not in titles({})


def test_filter_year_uses_creation_year():
    with time_machine.travel(datetime(2025, 6, 1, tzinfo=UTC), tick=False):
        ProjectFactory(title="去年")
    ProjectFactory(title="今年")

    assert titles({"year": "2025"}) == ["去年"]


def test_filter_progress_bands(give):
    low = ProjectFactory(title="低", goal_amount=100_000)
    mid = ProjectFactory(title="中", goal_amount=100_000)
    full = ProjectFactory(title="满", goal_amount=100_000)
    ProjectFactory(title="无目标", goal_amount=0)
    give(low, 49_999)
    give(mid, 50_000)
    give(full, 60_000)
    give(full, 40_000)

    assert titles({"progress": "lt50"}) == ["低"]
    assert titles({"progress": "50to99"}) == ["中"]
    assert titles({"progress": "full"}) == ["满"]


def test_sort_most_raised_and_closest_to_goal(give):
    a = ProjectFactory(title="A", goal_amount=100_000)
    b = ProjectFactory(title="B", goal_amount=100_000)
    c = ProjectFactory(title="C", goal_amount=50_000)
    give(a, 30_000)
    give(b, 90_000)
    give(c, 45_000)
    give(c, 5_000)

    assert titles({"sort": "raised"}) == ["B", "C", "A"]
    # B needs 10,000 more, A 70,000; C is already fully funded.
    assert titles({"sort": "closest"}) == ["B", "A", "C"]


def test_money_figures_come_from_ledger_and_net_refunds(give):
    from funding.services.donations import record_refund

    project = ProjectFactory()
    donation = give(project, 20_000)
    give(project, 5_000)
    record_refund(donation=donation, refunded_total=3_000)

    money = money_by_project([project])[project.pk]

    assert (money.raised, money.matched, money.disbursed, money.spent) == (22_000, 0, 0, 0)


def test_directory_figures_equal_ledger_entry_sums_and_reconcile(give, live_matching):
    """The directory reads funding's project balance; it must equal the ledger itself."""
    from django.db.models import Q, Sum

    from funding.models import Entry
    from funding.services.donations import record_refund
    from funding.services.reconcile import reconcile
    from projects.directory import MATCH_KINDS, RAISED_KINDS, with_money
    from tests.factories.funding import make_call

    call = make_call(slug="drift-call")
    live_matching(call, 1_000_000)
    project = ProjectFactory(call=call, tier="funded_matched", goal_amount=900_000)
    donation = give(project, 30_000, matched=True)
    give(project, 12_345, matched=True)
    record_refund(donation=donation, refunded_total=10_000)

    ledger = Entry.objects.filter(account__project=project, account__kind="project").aggregate(
        raised=Sum("amount", filter=Q(transaction__kind__in=RAISED_KINDS)),
        matched=Sum("amount", filter=Q(transaction__kind__in=MATCH_KINDS)),
    )
    money = money_by_project([project])[project.pk]
    annotated = with_money(public_projects()).get(pk=project.pk)

    assert (money.raised, money.matched) == (ledger["raised"], ledger["matched"])
    assert (annotated.raised_total, annotated.matched_total) == (money.raised, money.matched)
    assert money.raised == 32_345 and money.matched > 0
    assert reconcile().ok


def test_money_sort_is_not_multiplied_by_category_filter(give):
    cat = ServiceCategoryFactory(code="B")
    items = [ServiceItemFactory(code=f"B0{i}", category=cat) for i in (1, 2, 3)]
    project = ProjectFactory(title="三项", goal_amount=100_000)
    project.service_items.set(items)
    give(project, 40_000)

    result = list(filter_projects({"category": "B", "sort": "raised"}).qs)

    assert [(p.title, p.raised_total) for p in result] == [("三项", 40_000)]


def test_random_sort_stable_for_a_seed_and_differs_between_days():
    for n in range(12):
        ProjectFactory(title=f"P{n}")

    first = titles({"sort": "random"}, seed=directory.day_seed(datetime(2026, 1, 1).date()))
    again = titles({"sort": "random"}, seed=directory.day_seed(datetime(2026, 1, 1).date()))
    other = titles({"sort": "random"}, seed=directory.day_seed(datetime(2026, 1, 2).date()))

    assert first == again
    assert sorted(first) == sorted(other)
    assert first != other


def test_unknown_filter_values_are_ignored_with_errors():
    ProjectFactory(title="甲", status=ProjectStatus.COMPLETED)
    ProjectFactory(title="乙")

    filterset = filter_projects(
        {"category": "nope", "status": "completed", "sort": "x", "year": "abc"}
    )

    assert [p.title for p in filterset.qs] == ["甲"]
    assert sorted(filterset.form.errors) == ["category", "sort", "year"]


def test_public_projects_excludes_applying():
    ProjectFactory(title="公开")
    ProjectFactory(title="申报", status=ProjectStatus.APPLYING)

    assert [p.title for p in public_projects()] == ["公开"]


# ------------------------------------------------------------------------ the page


@pytest.fixture
def pages(site_pages):
    return site_pages


def _cards(html):
    return re.findall(r'<h3 class="card-title"><a href="[^"]+">([^<]+)</a>', html)


def test_directory_page_chinese_keyword_and_filters_in_url(client, pages):
    ProjectFactory(title="社区助老服务", status=ProjectStatus.IN_PROGRESS)
    ProjectFactory(title="儿童安全教育", status=ProjectStatus.COMPLETED)

    response = client.get("/projects/", {"q": "助老", "status": "in_progress"})

    html = response.content.decode()
    assert _cards(html) == ["社区助老服务"]
    assert 'value="助老"' in html
    assert '<option value="in_progress" selected>' in html
    assert "1 个项目" in html


def test_directory_page_english(client, pages):
    ProjectFactory(title="社区助老服务")

    html = client.get("/en/projects/").content.decode()

    assert "1 project" in html
    assert "Show projects" in html


def test_directory_page_bad_input_is_a_normal_page(client, pages):
    ProjectFactory(title="社区助老服务")

    response = client.get(
        "/projects/",
        {
            "page": "9999999999999999999",
            "district": "x<script>",
            "progress": "200%",
            "sort": "drop",
        },
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert _cards(html) == ["社区助老服务"]
    assert "x<script>" not in html
    assert 'role="alert"' in html


def test_directory_card_shows_progress_and_match_badge(client, pages, give, live_matching):
    from tests.factories.funding import make_call

    call = make_call("matched-call")
    live_matching(call, 1_000_000)
    project = ProjectFactory(
        title="配捐项目", call=call, tier=ProjectTier.FUNDED_MATCHED, goal_amount=100_000
    )
    give(project, 20_000, matched=True)

    html = client.get("/projects/").content.decode()

    assert 'value="40000"' in html
    assert "¥400.00 / ¥1,000.00（40%）" in html or "40%" in html
    assert "配捐进行中" in html


@pytest.mark.parametrize("n", [1, 3])
def test_directory_query_count_is_constant(client, pages, django_assert_num_queries, n, give):
    item = ServiceItemFactory(code="C01")
    for i in range(n):
        project = ProjectFactory(title=f"项目{i}")
        project.service_items.set([item])
        give(project, 1_000)
    client.get("/projects/")  # warm Wagtail's site cache

    with django_assert_num_queries(QUERIES_DIRECTORY):
        response = client.get("/projects/", {"sort": "raised"})

    assert len(_cards(response.content.decode())) == n


QUERIES_DIRECTORY = 15
