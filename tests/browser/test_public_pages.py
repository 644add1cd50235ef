"""Directory, project page, call page and statistics in a real browser: axe-core WCAG
2.1 AA checks, keyboard use, phone width (screenshots in $PUBLIC_SCREENSHOTS if set)."""

import os

import pytest

from tests.browser.conftest import serious_violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def public_site(transactional_db):
    import random

    from funding.services.donations import mark_succeeded
    from funding.services.matching import reserve_match
    from portal.demo import DemoContext, seed_site
    from projects.enums import ProjectStatus, ProjectTier
    from tests.factories.funding import (
        DonationFactory,
        MatchingRuleFactory,
        SponsorFactory,
        funded_pool,
    )
    from tests.factories.organizations import DistrictFactory, RegionFactory
    from tests.factories.projects import (
        ProjectFactory,
        ServiceCategoryFactory,
        ServiceItemFactory,
        make_call,
    )

    ctx = DemoContext(size="small", rng=random.Random(1), log=lambda msg: None)
    seed_site(ctx)
    district = DistrictFactory(code="440304", name="福田区")
    sub = RegionFactory(code="440304001", name="园岭街道", parent=district)
    elder = ServiceCategoryFactory(code="A", name="为老服务")
    meals = ServiceItemFactory(code="A01", name="老年助餐", category=elder)
    call = make_call(title="2026年为老服务公益创投项目征集", slug="elder-2026")
    MatchingRuleFactory(call=call)
    funded_pool(1_000_000, call=call, sponsor=SponsorFactory(name="市慈善基金会"))
    projects = []
    for i, title in enumerate(["社区助老服务", "长者饭堂暖心助餐计划", "儿童安全教育课堂"]):
        project = ProjectFactory(
            title=title,
            call=call,
            region=sub,
            goal_amount=500_000,
            tier=ProjectTier.FUNDED_MATCHED,
            status=ProjectStatus.IN_PROGRESS,
            summary="为辖区独居长者提供助餐、探访与健康管理服务。",
        )
        project.service_items.set([meals])
        donation = DonationFactory(project=project, amount=20_000 * (i + 1), donor_name="王五")
        reserve_match(donation=donation)
        mark_succeeded(donation=donation, amount_received=donation.amount, currency="CNY")
        projects.append(project)
    return {"call": call, "projects": projects}


def _shot(page, name):
    folder = os.environ.get("PUBLIC_SCREENSHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


@pytest.mark.parametrize(
    "path", ["/projects/", "/projects/?q=助老&sort=raised", "/stats/", "/en/projects/"]
)
def test_public_list_pages_have_no_serious_axe_violations(page, live_server, public_site, path):
    page.goto(live_server.url + path)

    assert serious_violations(page) == []


def test_project_and_call_pages_have_no_serious_axe_violations(page, live_server, public_site):
    project = public_site["projects"][0]
    page.goto(live_server.url + project.get_absolute_url())
    project_violations = serious_violations(page)
    page.goto(live_server.url + public_site["call"].url)
    call_violations = serious_violations(page)

    assert (project_violations, call_violations) == ([], [])


def test_directory_keyword_search_by_keyboard_keeps_state_in_url(page, live_server, public_site):
    page.goto(live_server.url + "/projects/")

    page.get_by_label("关键词").focus()
    page.keyboard.type("助老")
    page.keyboard.press("Enter")
    page.wait_for_url("**q=%E5%8A%A9%E8%80%81**")

    cards = page.locator(".card-title").all_inner_texts()
    assert cards == ["社区助老服务"]
    assert page.get_by_label("关键词").input_value() == "助老"


@pytest.mark.parametrize("name,path", [("directory", "/projects/"), ("stats", "/stats/")])
def test_public_pages_fit_a_phone(phone, live_server, public_site, name, path):
    phone.goto(live_server.url + path)
    _shot(phone, f"phone-{name}")

    assert phone.evaluate("document.documentElement.scrollWidth") <= 375


def test_project_page_fits_a_phone(phone, live_server, public_site):
    phone.goto(live_server.url + public_site["projects"][1].get_absolute_url())
    _shot(phone, "phone-project")

    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    assert phone.get_by_role("link", name="捐赠").first.is_visible()


@pytest.mark.parametrize("path", ["/stats/", "/en/stats/"])
def test_chart_pages_at_390px_have_no_serious_axe_violations(
    phone_390, live_server, public_site, path
):
    phone_390.goto(live_server.url + path)

    assert phone_390.locator("figure.chart svg").count() >= 2
    assert serious_violations(phone_390) == []
    assert phone_390.evaluate("document.documentElement.scrollWidth") <= 390
