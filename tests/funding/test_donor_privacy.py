"""Donors' data (#14 reproductions 1 and 2): a receipt is never read by counting ids, a
gift's private link shows that gift only, and a donor's history needs a signed-in
account whose address is verified."""

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from funding.services.donations import mark_succeeded
from funding.services.receipts import issue_receipt
from tests.factories.funding import DonationFactory, MatchedProjectFactory
from tests.factories.organizations import UserFactory

pytestmark = pytest.mark.django_db


def _paid(**kwargs):
    donation = DonationFactory(**kwargs)
    mark_succeeded(donation=donation, amount_received=donation.amount, currency="CNY")
    donation.refresh_from_db()
    return donation


def _receipt(**kwargs):
    donation = _paid(receipt_requested=True, donor_name="王五", **kwargs)
    return issue_receipt(donation=donation)


def test_guest_receipt_report_sends_anonymous_visitor_to_login(client):
    receipt = _receipt(donor_email="guest@example.org")

    response = client.get(f"/reports/receipt/{receipt.pk}/zh-hans.pdf")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_guest_receipt_report_refused_to_signed_in_stranger(client):
    receipt = _receipt(donor_email="guest@example.org")
    client.force_login(UserFactory(username="stranger"))

    response = client.get(f"/reports/receipt/{receipt.pk}/zh-hans.pdf")

    assert response.status_code == 403


def test_receipt_permission_follows_the_gift_account():
    donor = UserFactory(username="donor")
    mine = _receipt(user=donor, donor_email=donor.email)
    guest = _receipt(donor_email=donor.email)

    assert donor.has_perm("funding.view_receipt", mine) is True
    # Same address, but given as a guest: only its private link opens it.
    assert donor.has_perm("funding.view_receipt", guest) is False


def test_guest_gift_receipt_still_opens_through_its_token(client):
    receipt = _receipt(donor_email="guest@example.org")

    url = reverse("funding_public:receipt_pdf", kwargs={"token": receipt.donation.access_token})

    response = client.get(url)

    assert response["Content-Type"] == "application/pdf"
    assert response.status_code == 200


def test_status_page_lists_no_other_gift_under_the_same_address(client):
    project = MatchedProjectFactory()
    victim = _paid(project=project, donor_email="victim@example.org", donor_name="受害人")
    # An attacker gives ¥1 under the victim's address and opens the new gift's page.
    attacker = DonationFactory(project=project, donor_email="victim@example.org", amount=100)

    page = client.get(f"/en/donate/gift/{attacker.access_token}/status/").content.decode()

    assert victim.access_token not in page
    assert "Your other donations" not in page


def test_status_page_queries_do_not_grow_with_the_donors_other_gifts(
    client, django_assert_num_queries
):
    project = MatchedProjectFactory()
    first = _paid(
        project=project, donor_email="same@example.org", receipt_requested=True, donor_name="赵六"
    )
    url = f"/en/donate/gift/{first.access_token}/status/"
    client.get(url)  # fills the per-process caches (site root paths, the privacy policy link)
    with django_assert_num_queries(8):
        client.get(url)
    _paid(project=project, donor_email="same@example.org")
    _paid(project=project, donor_email="same@example.org")

    with django_assert_num_queries(8):
        page = client.get(url).content.decode()

    assert f"Download receipt {first.receipt.number}" in page


def test_dashboard_lists_guest_gifts_under_a_verified_address(client):
    donor = UserFactory(username="verified")
    guest_gift = _paid(donor_email=donor.email.upper())
    client.force_login(donor)

    page = client.get("/en/me/").content.decode()

    assert guest_gift.access_token in page


def test_dashboard_hides_guest_gifts_under_an_unverified_address(client):
    donor = UserFactory(username="unverified", verified_email=False)
    EmailAddress.objects.create(user=donor, email=donor.email, verified=False, primary=True)
    guest_gift = _paid(donor_email=donor.email)
    own_gift = _paid(user=donor, donor_email="")
    client.force_login(donor)

    page = client.get("/en/me/").content.decode()

    assert guest_gift.access_token not in page
    assert own_gift.access_token in page


def test_person_export_skips_guest_gifts_under_an_unverified_address():
    from portal.privacy import export_person_data

    donor = UserFactory(username="exporter", verified_email=False)
    EmailAddress.objects.create(user=donor, email=donor.email, verified=False, primary=True)
    _paid(donor_email=donor.email)
    own = _paid(user=donor, donor_email="")

    exported = export_person_data(donor)

    assert [row["id"] for row in exported["donations"]] == [own.pk]
