"""English pages show the English names of regions and service categories/items (where
staff gave one), Chinese pages the Chinese; the needs board sorts the way its menu says."""

from datetime import timedelta

import pytest
from django.utils import timezone

from projects.models import CommunityNeed, NeedSupport
from tests.factories.organizations import (
    DistrictFactory,
    OrganizationFactory,
    RegionFactory,
    UserFactory,
)
from tests.factories.projects import (
    CommunityNeedFactory,
    ProjectFactory,
    ServiceCategoryFactory,
    ServiceItemFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def elder_care_project():
    district = DistrictFactory(name="南山区", name_en="Nanshan District")
    street = RegionFactory(name="粤海街道", name_en="Yuehai Sub-district", parent=district)
    category = ServiceCategoryFactory(name="为老服务", name_en="Elderly care")
    item = ServiceItemFactory(category=category, name="老年助餐", name_en="Meals for elders")
    organization = OrganizationFactory(region=street)
    project = ProjectFactory(organization=organization)
    project.service_items.add(item)
    return project


def test_english_project_pages_name_regions_and_categories_in_english(
    client, site_pages, elder_care_project
):
    listing = client.get("/en/projects/").content.decode()
    detail = client.get(f"/en/projects/{elder_care_project.slug}/").content.decode()

    for html in (listing, detail):
        assert "Elderly care" in html
        assert "Yuehai Sub-district" in html
        assert "为老服务" not in html
        assert "粤海街道" not in html
    assert "Meals for elders" in detail
    assert "老年助餐" not in detail


def test_chinese_pages_keep_the_chinese_names(client, site_pages, elder_care_project):
    detail = client.get(f"/projects/{elder_care_project.slug}/").content.decode()

    assert "为老服务" in detail
    assert "粤海街道" in detail
    assert "Elderly care" not in detail


def test_english_organization_directory_names_the_region_in_english(
    client, site_pages, elder_care_project
):
    html = client.get("/en/organizations/").content.decode()

    assert "Yuehai Sub-district" in html
    assert "粤海街道" not in html


def test_a_region_without_an_english_name_falls_back_to_chinese(client, site_pages):
    street = RegionFactory(name="沙河街道", name_en="")
    CommunityNeedFactory(region=street)

    html = client.get("/en/needs/").content.decode()

    assert "沙河街道" in html


def test_community_choices_name_their_sub_district(client, site_pages):
    street = RegionFactory(name="桃源街道", name_en="Taoyuan Sub-district")
    RegionFactory(name="第一社区", name_en="First Community", parent=street, level="community")

    zh = client.get("/needs/").content.decode()
    en = client.get("/en/needs/").content.decode()

    assert "桃源街道 · 第一社区" in zh
    assert "Taoyuan Sub-district · First Community" in en


def test_needs_board_opens_on_its_first_sort_option_and_most_supported_is_descending(
    client, site_pages
):
    now = timezone.now()
    popular = CommunityNeedFactory(title="老旧小区加装电梯")
    recent = CommunityNeedFactory(title="楼道照明坏了")
    CommunityNeed.objects.filter(pk=popular.pk).update(created_at=now - timedelta(days=3))
    CommunityNeed.objects.filter(pk=recent.pk).update(created_at=now)
    for _ in range(3):
        NeedSupport.objects.create(need=popular, user=UserFactory())
    NeedSupport.objects.create(need=recent, user=UserFactory())

    default = client.get("/needs/")
    by_support = client.get("/needs/", {"ordering": "support"})
    unknown = client.get("/needs/", {"ordering": "-support_count"})

    assert [n.pk for n in default.context["needs"]] == [recent.pk, popular.pk]
    first_option = default.content.decode().split('name="ordering"')[1].split("<option")[1]
    assert 'value="newest"' in first_option
    assert [n.pk for n in by_support.context["needs"]] == [popular.pk, recent.pk]
    assert unknown.status_code == 200
    assert [n.pk for n in unknown.context["needs"]] == [recent.pk, popular.pk]
    assert "(descending)" not in by_support.content.decode()
