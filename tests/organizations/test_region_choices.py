"""Region pickers grouped by district, communities named with their sub-district and
carrying their parent's id for the page script that narrows them (#19)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from organizations.forms import OrganizationForm
from tests.factories.organizations import DistrictFactory, RegionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def places():
    futian = DistrictFactory(name="福田区", name_en="Futian District")
    yuanling = RegionFactory(name="园岭街道", name_en="Yuanling Subdistrict", parent=futian)
    community = RegionFactory(
        name="第一社区", name_en="Community No. 1", parent=yuanling, level="community"
    )
    nanshan = DistrictFactory(name="南山区", name_en="Nanshan District")
    yuehai = RegionFactory(name="粤海街道", name_en="Yuehai Subdistrict", parent=nanshan)
    return {"yuanling": yuanling, "community": community, "yuehai": yuehai}


def _groups(html: str, name: str) -> dict[str, list[str]]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return {
        label: re.findall(r"<option[^>]*>([^<]*)</option>", body)
        for label, body in re.findall(r'<optgroup label="([^"]*)">(.*?)</optgroup>', select, re.S)
    }


def test_needs_board_groups_places_by_district_in_english(client, site_pages, places):
    html = client.get("/en/needs/").content.decode()

    assert _groups(html, "region") == {
        "Futian District": ["Yuanling Subdistrict", "Yuanling Subdistrict · Community No. 1"],
        "Nanshan District": ["Yuehai Subdistrict"],
    }


def test_directory_groups_sub_districts_by_district(client, site_pages, places):
    html = client.get("/projects/").content.decode()

    assert _groups(html, "subdistrict") == {"福田区": ["园岭街道"], "南山区": ["粤海街道"]}


def test_organization_form_communities_carry_their_sub_district(places):
    with translation.override("en"):
        with CaptureQueriesContext(connection) as queries:
            html = str(OrganizationForm()["community"])

    community, yuanling = places["community"], places["yuanling"]
    assert '<optgroup label="Futian District">' in html
    assert (
        f'<option value="{community.pk}" data-parent="{yuanling.pk}">'
        "Yuanling Subdistrict · Community No. 1</option>"
    ) in html
    assert len(queries) == 1


def test_organization_form_loads_the_community_narrowing_script(client, site_pages):
    from tests.factories.organizations import UserFactory

    client.force_login(UserFactory())

    html = client.get("/me/organizations/new/").content.decode()

    assert "organizations/js/region-picker" in html
