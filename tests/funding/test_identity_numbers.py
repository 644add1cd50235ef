"""The portal collects no identity-card numbers (PIPL data minimisation, docs/security.md):
name fields of the donation forms refuse one with a translated reason, keep what was typed
and store nothing."""

import pytest

from funding.models import Donation
from portal.core.personal import contains_identity_number
from tests.factories.funding import MatchedProjectFactory

# A well-formed number (valid check character) made up for the tests.
ID_18 = "11010519491231002X"


@pytest.mark.parametrize(
    "text",
    [
        ID_18,
        ID_18.lower(),
        "张三 11010519491231002X",
        "张三（身份证 110105 19491231 002X）",
        "110-105-1949-1231-002X",
        "110105491231002",  # the old 15-digit form
    ],
)
def test_identity_numbers_are_recognised(text):
    assert contains_identity_number(text) is True


@pytest.mark.parametrize(
    "text",
    [
        "张三",
        "某某科技有限公司",
        "13812345678",  # a mobile number
        "110105194912310021",  # 18 digits, wrong check character
        "6222 0212 3456 7890",  # 16-digit bank card
        "2026年12月7日 ¥1,000",
        "",
    ],
)
def test_other_text_is_left_alone(text):
    assert contains_identity_number(text) is False


@pytest.mark.django_db
def test_donate_form_refuses_an_identity_number_in_the_receipt_name(client, fake_stripe):
    MatchedProjectFactory(slug="give-here")
    data = {
        "preset": "10000",
        "donor_name": "张三",
        "donor_email": "zs@example.org",
        "anonymity": "none",
        "receipt_requested": "on",
        "receipt_name": f"张三 {ID_18}",
    }

    response = client.post("/donate/give-here/", data)

    assert response.status_code == 200
    page = response.content.decode()
    assert "请勿填写身份证号码" in page
    assert 'value="zs@example.org"' in page  # what was typed is kept
    assert not Donation.objects.exists()

    data["receipt_name"] = "张三"
    assert client.post("/donate/give-here/", data).status_code == 302
    assert Donation.objects.get().receipt_name == "张三"
