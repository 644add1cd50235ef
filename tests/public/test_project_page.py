import pytest

from funding.selectors import project_money
from funding.services.donations import record_refund
from projects.directory import money_by_project
from projects.enums import ProjectStatus, ProjectTier
from tests.factories.funding import make_call
from tests.factories.projects import CommunityNeedFactory, ProjectFactory, ServiceItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def matched_project(give, live_matching):
    call = make_call("page-call")
    live_matching(call, 1_000_000, sponsor_name="市慈善基金会")
    project = ProjectFactory(
        title="长者饭堂暖心助餐",
        call=call,
        tier=ProjectTier.FUNDED_MATCHED,
        goal_amount=100_000,
        summary="为独居长者提供午餐。",
    )
    project.service_items.set([ServiceItemFactory(code="A01", name="老年助餐")])
    return project


def test_directory_money_agrees_with_funding_selector(matched_project, give):
    first = give(matched_project, 20_000, matched=True)
    give(matched_project, 5_000)
    record_refund(donation=first, refunded_total=4_000)

    ours = money_by_project([matched_project])[matched_project.pk]
    theirs = project_money(matched_project)

    assert (ours.raised, ours.matched, ours.disbursed, ours.spent) == (
        theirs.raised,
        theirs.matched,
        theirs.disbursed,
        theirs.spent,
    )
    assert (ours.raised, ours.matched) == (21_000, 21_000)


def test_project_page_money_sponsor_and_masked_ledger(client, site_pages, matched_project, give):
    give(matched_project, 10_000, matched=True, donor_name="王五", anonymity="none")
    give(matched_project, 3_000, donor_name="赵六", anonymity="hide_name")
    give(matched_project, 7_000, donor_name="钱七", anonymity="hide_amount")
    need = CommunityNeedFactory(title="小区缺少助餐点")
    matched_project.addressed_needs.add(need)

    html = client.get(matched_project.get_absolute_url()).content.decode()

    assert "长者饭堂暖心助餐" in html
    assert "老年助餐" in html
    assert "市慈善基金会：¥200.00" in html
    assert "王五" in html and "钱七" in html
    assert "赵六" not in html
    assert "爱心人士" in html  # funding's public name for a hidden donor
    assert "¥70.00" not in html
    assert "小区缺少助餐点" in html
    assert 'value="40"' in html  # (20,000 raised + 20,000 matched) / 100,000
    assert "/donate/" in html


def test_project_page_english(client, site_pages, matched_project):
    html = client.get(f"/en{matched_project.get_absolute_url()}").content.decode()

    assert "Where the money came from and went" in html
    assert "Public ledger" in html


def test_project_page_hides_applying_projects(client, site_pages):
    project = ProjectFactory(status=ProjectStatus.APPLYING)

    response = client.get(project.get_absolute_url())

    assert response.status_code == 404


def test_project_page_no_donate_button_when_completed(client, site_pages):
    project = ProjectFactory(status=ProjectStatus.COMPLETED)

    html = client.get(project.get_absolute_url()).content.decode()

    assert "为此项目捐赠" not in html


def test_project_page_query_count_constant(client, site_pages, matched_project, give):
    """1 gift then 3 gifts: the same number of queries. (Compared with each other, not
    with a fixed number: other apps add their sections to this page.)"""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count_queries(gifts):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(matched_project.get_absolute_url(), {"n": gifts})
        assert response.content.decode().count("<tr><td>") == 2 * gifts
        return len(queries)

    give(matched_project, 1_000, matched=True)
    client.get(matched_project.get_absolute_url(), {"warm": "1"})  # Wagtail site cache
    one = count_queries(1)
    give(matched_project, 1_001, matched=True)
    give(matched_project, 1_002, matched=True)

    assert count_queries(3) == one
