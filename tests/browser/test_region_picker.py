"""The organization profile's community picker narrows to the chosen sub-district in a
real browser (organizations/js/region-picker.js), with no serious axe finding on the
grouped pickers (#19)."""

import pytest

from tests.browser.conftest import serious_violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "pass-word-123"  # UserFactory's password


@pytest.fixture
def places(transactional_db):
    from tests.factories.organizations import DistrictFactory, RegionFactory, UserFactory

    futian = DistrictFactory(name="福田区", name_en="Futian District")
    yuanling = RegionFactory(name="园岭街道", name_en="Yuanling Subdistrict", parent=futian)
    lianhua = RegionFactory(name="莲花街道", name_en="Lianhua Subdistrict", parent=futian)
    first = RegionFactory(
        name="第一社区", name_en="Community No. 1", parent=yuanling, level="community"
    )
    other = RegionFactory(
        name="第一社区", name_en="Community No. 1", parent=lianhua, level="community"
    )
    UserFactory(username="founder")
    return {"yuanling": yuanling, "first": first, "other": other}


def test_community_picker_narrows_to_the_chosen_sub_district(page, live_server, places):
    page.goto(live_server.url + "/en/accounts/login/")
    page.fill("input[name=login]", "founder")
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url("**/me/**")
    page.goto(live_server.url + "/en/me/organizations/new/")

    page.focus("select[name=region]")
    page.select_option("select[name=region]", str(places["yuanling"].pk))
    shown = page.eval_on_selector_all(
        "select[name=community] option[value]:not([value=''])",
        "options => options.filter(o => !o.hidden && !o.disabled).map(o => o.value)",
    )
    violations = serious_violations(page)

    assert shown == [str(places["first"].pk)]
    assert violations == []
