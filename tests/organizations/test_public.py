import datetime

import pytest
import time_machine

from tests.factories.organizations import (
    DistrictFactory,
    OrganizationFactory,
    RegionFactory,
)
from tests.factories.projects import ProjectFactory, ServiceCategoryFactory

from .conftest import count_queries


def _names(response):
    return [org.name for org in response.context["organizations"]]


def test_directory_shows_only_verified(client, db):
    OrganizationFactory(name="已认证组织")
    OrganizationFactory(name="草稿组织", status="draft")
    OrganizationFactory(name="待审组织", status="submitted")
    OrganizationFactory(name="退回组织", status="returned")

    response = client.get("/en/organizations/")

    assert _names(response) == ["已认证组织"]


def test_directory_filters_by_type_district_service_area(client, db):
    district = DistrictFactory(name="南山区")
    street = RegionFactory(name="粤海街道", parent=district)
    elderly = ServiceCategoryFactory(name="为老服务")
    match = OrganizationFactory(name="南山为老", org_type="social_group", region=street)
    match.service_areas.add(elderly)
    OrganizationFactory(name="别区为老", org_type="social_group").service_areas.add(elderly)
    OrganizationFactory(name="南山基金会", org_type="foundation", region=street)

    response = client.get(
        "/en/organizations/",
        {"org_type": "social_group", "district": district.pk, "service_area": elderly.pk},
    )

    assert _names(response) == ["南山为老"]


@time_machine.travel(datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC))
def test_directory_rating_filter_ignores_expired(client, db):
    OrganizationFactory(name="有效4A", rating="4A", rating_expires_on=datetime.date(2027, 1, 1))
    OrganizationFactory(name="过期4A", rating="4A", rating_expires_on=datetime.date(2026, 1, 1))

    response = client.get("/en/organizations/", {"rating": "4A"})

    assert _names(response) == ["有效4A"]


def test_directory_chinese_search_matches_substring_bigrams(client, db):
    OrganizationFactory(name="深圳市彩虹桥青少年发展中心", mission="儿童成长陪伴")
    OrganizationFactory(name="夕阳红为老服务中心", mission="社区长者助餐")

    by_name = client.get("/en/organizations/", {"q": "青少年"})
    by_mission = client.get("/en/organizations/", {"q": "长者助餐"})
    none = client.get("/en/organizations/", {"q": "青年助餐"})

    assert _names(by_name) == ["深圳市彩虹桥青少年发展中心"]
    assert _names(by_mission) == ["夕阳红为老服务中心"]
    assert _names(none) == []


def test_directory_query_count_is_constant(client, db):
    def add_org():
        org = OrganizationFactory()
        org.service_areas.add(ServiceCategoryFactory())
        ProjectFactory(organization=org)

    add_org()
    one, response_one = count_queries(client, "/en/organizations/")
    add_org()
    add_org()

    three, response_three = count_queries(client, "/en/organizations/")

    assert (
        len(response_one.context["organizations"]),
        len(response_three.context["organizations"]),
    ) == (1, 3)
    assert one == three


def test_directory_renders_chinese_at_root_and_english_under_en(client, db):
    OrganizationFactory()

    zh = client.get("/organizations/").content.decode()
    en = client.get("/en/organizations/").content.decode()

    assert "社会组织" in zh and "1 个组织" in zh
    assert "1 organization" in en


def test_profile_shows_no_phone_and_hides_personal_data(client, db):
    org = OrganizationFactory(
        contact_name="张三丰",
        contact_mobile="13812345678",
        contact_email="zhang@example.org",
        address="某路1号",
    )

    content = client.get(f"/en/organizations/{org.slug}/").content.decode()

    assert "5678" not in content  # not even masked (docs/security.md: no phones in public)
    assert "13812345678" not in content
    assert "张三丰" not in content
    assert "zhang@example.org" not in content


def test_profile_shows_projects(client, db):
    org = OrganizationFactory()
    ProjectFactory(organization=org, title="长者食堂项目")

    content = client.get(f"/en/organizations/{org.slug}/").content.decode()

    assert "长者食堂项目" in content


@pytest.mark.parametrize("status", ["draft", "submitted", "returned"])
def test_profile_of_unverified_is_404(client, db, status):
    org = OrganizationFactory(status=status)

    response = client.get(f"/en/organizations/{org.slug}/")

    assert response.status_code == 404
