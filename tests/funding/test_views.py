import pytest
from django.core import mail

from funding.services.donations import mark_succeeded
from tests.factories.funding import DonationFactory, MatchedProjectFactory

pytestmark = pytest.mark.django_db


def _paid(**kwargs):
    donation = DonationFactory(**kwargs)
    mark_succeeded(donation=donation, amount_received=donation.amount, currency="CNY")
    return donation


def test_success_mails_private_link(settings, django_capture_on_commit_callbacks):
    from django.utils import translation

    settings.SITE_URL = "https://gongyi.example"

    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        donation = _paid(donor_email="guest@example.org")

    assert [(m.to, m.subject) for m in mail.outbox] == [(["guest@example.org"], "感谢您的捐赠")]
    assert (
        f"https://gongyi.example/donate/gift/{donation.access_token}/status/" in mail.outbox[0].body
    )


def test_status_page_history_constant_queries(client, django_assert_num_queries):
    project = MatchedProjectFactory()
    first = _paid(
        project=project, donor_email="same@example.org", receipt_requested=True, donor_name="赵六"
    )
    _paid(project=project, donor_email="same@example.org")
    url = f"/en/donate/gift/{first.access_token}/status/"
    with django_assert_num_queries(9):
        one = client.get(url)
    _paid(project=project, donor_email="same@example.org")
    _paid(project=project, donor_email="same@example.org")

    with django_assert_num_queries(9):
        three = client.get(url)

    # one link per other gift, plus the language switcher's link to this page
    assert one.content.decode().count('/status/">') == 1 + 1
    assert three.content.decode().count('/status/">') == 3 + 1
    assert "Download receipt R" in three.content.decode()
