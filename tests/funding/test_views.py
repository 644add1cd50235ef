import pytest
from django.core import mail

from funding.services.donations import mark_succeeded
from tests.factories.funding import DonationFactory

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
