import pytest
from django.utils import timezone

from funding.enums import DonationSource
from funding.selectors import organization_money
from funding.services.donations import mark_succeeded
from tests.factories.funding import DonationFactory, MatchedProjectFactory

pytestmark = pytest.mark.django_db


def _give(project, amount):
    donation = DonationFactory(project=project, amount=amount, source=DonationSource.STRIPE)
    mark_succeeded(donation=donation, amount_received=amount, currency="CNY", at=timezone.now())


def test_organization_money_sums_every_project_of_the_organization():
    a = MatchedProjectFactory(slug="org-money-a")
    b = MatchedProjectFactory(slug="org-money-b", organization=a.organization)
    other = MatchedProjectFactory(slug="org-money-other")
    _give(a, 10_000)
    _give(b, 2_500)
    _give(other, 99_900)

    money = organization_money(a.organization)

    assert (money.raised, money.matched, money.disbursed, money.spent) == (12_500, 0, 0, 0)


def test_public_profile_shows_funds_received(client):
    project = MatchedProjectFactory(slug="org-money-page")
    _give(project, 12_345)

    html = client.get(project.organization.get_absolute_url()).content.decode()

    assert "所获资金" in html
    assert "¥123.45" in html
