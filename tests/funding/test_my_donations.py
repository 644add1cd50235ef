"""Donors' own page (#16): ``/me/`` lists the signed-in donor's gifts (made signed in,
or given as a guest under an address the account has verified) with status, amount,
match received, receipts and the project; a guest claims past gifts by verifying the
address they used, and an unverified address reveals nothing."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import override

from funding.enums import Anonymity
from funding.services.donations import mark_succeeded, record_refund
from funding.services.receipts import record_official_receipt
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
    return MatchedProjectFactory(slug="my-gifts", title="儿童阅读角")


def _paid(**kwargs):
    donation = DonationFactory(**kwargs)
    mark_succeeded(donation=donation, amount_received=donation.amount, currency="CNY")
    donation.refresh_from_db()
    return donation


def _row(page: str, donation) -> str:
    match = re.search(rf'<tr id="gift-{donation.pk}">(.*?)</tr>', page, re.S)
    assert match, f"gift {donation.pk} not listed"
    return match.group(1)


def test_me_lists_status_amount_match_receipt_and_project(client, project):
    donor = UserFactory(username="giver")
    gift = _paid(project=project, user=donor, donor_email=donor.email, amount=20_000)
    client.force_login(donor)

    row = _row(client.get("/en/me/").content.decode(), gift)

    assert "¥200.00" in row  # amount
    assert row.count("¥200.00") == 2  # and the 1:1 match received
    assert "Succeeded" in row
    with override("en"):
        assert f'href="{project.get_absolute_url()}"' in row
    assert "儿童阅读角" in row
    assert f"/en/donate/gift/{gift.access_token}/receipt.pdf" in row
    assert gift.receipt.number in row


def test_me_shows_the_official_e_receipt_once_recorded(client, project):
    from django.contrib.auth.models import Group

    from organizations.roles import FINANCE_OFFICER

    finance = UserFactory(username="fin-me", is_staff=True)  # as role accounts are built
    finance.groups.add(Group.objects.get_or_create(name=FINANCE_OFFICER)[0])
    donor = UserFactory(username="official")
    gift = _paid(project=project, user=donor, donor_email=donor.email)
    record_official_receipt(
        receipt=gift.receipt,
        code="44010126",
        number="0000054321",
        pdf=SimpleUploadedFile("e.pdf", b"%PDF-1.4\n%%EOF\n"),
        by=finance,
    )
    client.force_login(donor)

    row = _row(client.get("/en/me/").content.decode(), gift)

    assert "44010126-0000054321" in row
    assert f"/en/donate/gift/{gift.access_token}/e-receipt.pdf" in row


def test_me_marks_refunded_and_anonymous_gifts(client, project):
    donor = UserFactory(username="quiet")
    refunded = _paid(project=project, user=donor, donor_email=donor.email, amount=5_000)
    record_refund(donation=refunded, refunded_total=5_000)
    hidden = _paid(
        project=project, user=donor, donor_email=donor.email, anonymity=Anonymity.HIDE_NAME
    )
    client.force_login(donor)

    page = client.get("/en/me/").content.decode()

    assert "Refunded" in _row(page, refunded)
    assert "¥50.00 refunded" in _row(page, refunded)
    assert "Shown publicly without your name" in _row(page, hidden)


def test_me_does_not_list_gifts_of_others(client, project):
    donor = UserFactory(username="mine")
    other = UserFactory(username="theirs")
    theirs = _paid(project=project, user=other, donor_email=donor.email)
    client.force_login(donor)

    page = client.get("/en/me/").content.decode()

    assert theirs.access_token not in page


def test_guest_claims_past_gifts_by_verifying_the_address(client, project):
    guest_gift = _paid(project=project, donor_email="Guest.Giver@example.org")
    donor = UserFactory(username="claimer")
    client.force_login(donor)

    client.post(reverse("account_email"), {"action_add": "", "email": "guest.giver@example.org"})
    before = client.get("/en/me/").content.decode()
    [confirmation] = [m for m in mail.outbox if "guest.giver@example.org" in m.to]
    key_url = re.search(r"https?://[^/\s]+(/\S*confirm-email/\S+/)", confirmation.body).group(1)
    client.post(key_url)
    after = client.get("/en/me/").content.decode()

    assert EmailAddress.objects.get(email="guest.giver@example.org").verified is True
    assert guest_gift.access_token not in before
    assert guest_gift.access_token in after


def test_me_query_count_does_not_grow_with_the_number_of_gifts(
    client, project, django_assert_max_num_queries
):
    donor = UserFactory(username="counted")
    _paid(project=project, user=donor, donor_email=donor.email)
    client.force_login(donor)
    client.get("/en/me/")  # fills the per-process caches
    with CaptureQueriesContext(connection) as one:
        client.get("/en/me/")
    for _ in range(4):
        _paid(project=MatchedProjectFactory(), user=donor, donor_email=donor.email)
    _paid(project=None, donor_email=donor.email)  # a guest gift under the verified address

    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get("/en/me/").content.decode()

    assert page.count('<tr id="gift-') == 6
