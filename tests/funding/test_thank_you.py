"""The thank-you mail (#16): amount, project, match and the receipt link, in the
language the donor used on the site."""

import pytest
from django.core import mail

from funding.models import Donation
from funding.services.donations import mark_succeeded
from tests.factories.funding import (
    DonationFactory,
    MatchedProjectFactory,
    MatchingRuleFactory,
    funded_pool,
)
from tests.factories.organizations import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def project():
    MatchingRuleFactory()
    funded_pool(1_000_000)
    return MatchedProjectFactory(slug="thanks", title="社区长者助餐")


def _give(client, project, language_prefix):
    data = {
        "preset": "10000",
        "donor_name": "张三",
        "donor_email": "zs@example.org",
        "anonymity": "none",
        "receipt_requested": "on",
        "receipt_name": "张三",
    }
    response = client.post(f"{language_prefix}/donate/{project.slug}/", data)
    assert response.status_code == 302
    return Donation.objects.get(donor_email="zs@example.org")


def _pay(donation, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mark_succeeded(donation=donation, amount_received=donation.amount, currency="CNY")
    donation.refresh_from_db()


def test_thank_you_mail_in_english_names_amount_project_match_and_receipt(
    client, project, fake_stripe, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://gongyi.example"
    donation = _give(client, project, "/en")

    _pay(donation, django_capture_on_commit_callbacks)

    [message] = mail.outbox
    token = donation.access_token
    assert donation.language == "en"
    assert message.subject == "Thank you for your donation"
    assert "We received your donation of ¥100.00 to the project “社区长者助餐”." in message.body
    assert "Matching funds add ¥100.00 to it." in message.body
    assert (
        f"Your receipt {donation.receipt.number}: "
        f"https://gongyi.example/en/donate/gift/{token}/receipt.pdf" in message.body
    )
    assert f"https://gongyi.example/en/donate/gift/{token}/status/" in message.body


def test_thank_you_mail_in_chinese_for_a_donor_on_the_chinese_site(
    client, project, fake_stripe, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://gongyi.example"
    donation = _give(client, project, "")

    _pay(donation, django_capture_on_commit_callbacks)

    [message] = mail.outbox
    assert donation.language == "zh-hans"
    assert message.subject == "感谢您的捐赠"
    assert "我们已收到您向项目“社区长者助餐”的捐赠 ¥100.00。" in message.body
    assert "配捐资金为此追加 ¥100.00。" in message.body
    assert f"https://gongyi.example/donate/gift/{donation.access_token}/receipt.pdf" in (
        message.body
    )


def test_thank_you_mail_without_match_or_project_says_general_fund(
    django_capture_on_commit_callbacks,
):
    donation = DonationFactory(project=None, amount=5_000, language="en")

    _pay(donation, django_capture_on_commit_callbacks)

    [message] = mail.outbox
    assert "We received your donation of ¥50.00 to the general fund." in message.body
    assert "Matching funds" not in message.body


def test_thank_you_mail_falls_back_to_the_account_language(
    django_capture_on_commit_callbacks,
):
    from portal.core.notifications.services import set_language

    donor = UserFactory(username="en-donor")
    set_language(user=donor, language="en")
    donation = DonationFactory(project=None, user=donor, donor_email=donor.email)

    _pay(donation, django_capture_on_commit_callbacks)

    assert [m.subject for m in mail.outbox] == ["Thank you for your donation"]
