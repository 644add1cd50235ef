"""The velocity limit refuses the new checkout and flags the earlier gifts for review."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from wagtail.models import ModelLogEntry

from funding.enums import DonationSource, DonationStatus
from funding.errors import FourEyesViolation
from funding.models import Donation
from funding.services.donations import create_online_donation, mark_reviewed, mark_succeeded
from tests.factories.funding import MatchedProjectFactory
from tests.factories.organizations import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def limits(settings):
    settings.FUNDING_VELOCITY_PER_IP = 3
    settings.FUNDING_VELOCITY_PER_EMAIL = 3
    settings.FUNDING_VELOCITY_MINUTES = 10


def _start(project, ip="203.0.113.7", email="a@example.org"):
    return create_online_donation(
        project=project, amount=10_000, source=DonationSource.STRIPE, donor_email=email, ip=ip
    )


def test_tripping_the_ip_limit_flags_the_earlier_gifts_of_that_ip():
    project = MatchedProjectFactory()
    old = _start(project, email="x4@example.org")
    Donation.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=1))
    first = _start(project, email="x1@example.org")
    mark_succeeded(donation=first, amount_received=10_000, currency="CNY")
    _start(project, email="x2@example.org")
    _start(project, email="x3@example.org")
    other_ip = _start(project, ip="198.51.100.1", email="y@example.org")

    with pytest.raises(ValidationError) as exc:
        _start(project, email="x5@example.org")

    assert exc.value.code == "velocity"
    flagged = set(Donation.objects.filter(needs_review=True).values_list("pk", flat=True))
    in_window = set(
        Donation.objects.filter(ip_address="203.0.113.7")
        .exclude(pk=old.pk)
        .values_list("pk", flat=True)
    )
    assert flagged == in_window and len(flagged) == 3
    assert other_ip.pk not in flagged and old.pk not in flagged
    assert Donation.objects.count() == 5  # the refused checkout is not stored
    first.refresh_from_db()
    # A review flag does not change whether the gift counts.
    assert first.status == DonationStatus.SUCCEEDED and first.flagged is False
    assert "IP address" in first.review_reason
    assert ModelLogEntry.objects.filter(action="funding.review_flagged").count() == 3


def test_tripping_the_email_limit_flags_that_donor_across_ips():
    project = MatchedProjectFactory()
    gifts = [_start(project, ip=f"192.0.2.{n}", email="Same@Example.org") for n in range(3)]

    with pytest.raises(ValidationError):
        _start(project, ip="192.0.2.99", email="same@example.org")

    assert set(Donation.objects.filter(needs_review=True).values_list("pk", flat=True)) == {
        g.pk for g in gifts
    }


def test_admin_filter_and_mark_reviewed(client):
    project = MatchedProjectFactory()
    for n in range(3):
        _start(project, email=f"z{n}@example.org")
    with pytest.raises(ValidationError):
        _start(project, email="z9@example.org")
    clean = create_online_donation(
        project=project,
        amount=5_000,
        source=DonationSource.STRIPE,
        donor_email="clean@example.org",
        ip="198.51.100.9",
        donor_name="无关捐赠人",
    )
    admin = UserFactory(username="review-admin", is_superuser=True, is_staff=True)
    client.force_login(admin)

    listing = client.get("/admin/funding_donations/?needs_review=true").content.decode()

    linked = set(re.findall(r"/admin/funding_donations/review/(\d+)/", listing))
    assert linked == {
        str(pk) for pk in Donation.objects.filter(needs_review=True).values_list("pk", flat=True)
    }
    assert len(linked) == 3
    assert "无关捐赠人" not in listing
    flagged = Donation.objects.filter(needs_review=True).first()
    with pytest.raises(FourEyesViolation):
        mark_reviewed(donation=flagged, by=UserFactory(username="not-finance"))
    response = client.post(f"/admin/funding_donations/review/{flagged.pk}/", {"action": "reviewed"})
    assert response.status_code == 302
    flagged.refresh_from_db()
    assert flagged.needs_review is False
    assert clean.needs_review is False
    assert ModelLogEntry.objects.filter(action="funding.review_cleared").count() == 1


def test_wallet_checkouts_count_toward_the_limit_and_are_flagged():
    project = MatchedProjectFactory()
    wallets = [
        create_online_donation(
            project=project,
            amount=10_000,
            source=source,
            donor_email="w@example.org",
            ip="203.0.113.9",
        )
        for source in (DonationSource.WECHATPAY, DonationSource.ALIPAY, DonationSource.WECHATPAY)
    ]

    with pytest.raises(ValidationError):
        _start(project, ip="203.0.113.9", email="w@example.org")

    flagged = Donation.objects.filter(pk__in=[g.pk for g in wallets], needs_review=True)
    assert flagged.count() == 3
