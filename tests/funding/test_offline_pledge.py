"""Offline giving a donor can act on: payee and account from a site setting on the
donate page, pledges with a reference code, finance recording the gift with it."""

import re

import pytest
from django.db import IntegrityError, transaction
from wagtail.models import Site

from funding.enums import DonationStatus, OfflineMethod
from funding.errors import DuplicateReference
from funding.models import Donation, OfflineGivingSettings, OfflinePledge
from funding.services.donations import (
    approve_offline_donation,
    record_offline_donation,
    reject_offline_donation,
)
from tests.factories.funding import MatchedProjectFactory, MatchingRuleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def project():
    MatchingRuleFactory()
    return MatchedProjectFactory(slug="give-here")


@pytest.fixture
def offline():
    settings = OfflineGivingSettings.for_site(Site.objects.get(is_default_site=True))
    settings.payee_name = "深圳市某某社会工作服务中心"
    settings.bank_name = "中国银行深圳福田支行"
    settings.account_number = "7455 6789 0123 4567"
    settings.office_address = "深圳市福田区某某路 1 号 3 楼"
    settings.office_hours = "周一至周五 9:00–17:30"
    settings.save()
    return settings


def pledge(client, data=None, url="/donate/give-here/offline/"):
    payload = {"amount": "300", "method": "bank_transfer", "donor_email": "p@example.org"}
    payload.update(data or {})
    return client.post(url, payload)


def test_donate_page_shows_where_to_give_and_the_pledge_link(client, project, offline):
    html = client.get("/donate/give-here/").content.decode()

    assert "深圳市某某社会工作服务中心" in html
    assert "7455 6789 0123 4567" in html
    assert "中国银行深圳福田支行" in html
    assert "周一至周五 9:00–17:30" in html
    assert 'href="/donate/give-here/offline/"' in html


def test_without_the_setting_there_is_no_pledge(client, project):
    html = client.get("/donate/give-here/").content.decode()

    assert "offline-giving" not in html
    assert client.get("/donate/give-here/offline/").status_code == 404
    assert pledge(client).status_code == 404
    assert not OfflinePledge.objects.exists()


def test_pledge_gives_a_reference_code_and_a_private_page(client, project, offline):
    response = pledge(client, {"donor_name": "王五"})

    item = OfflinePledge.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert response["Location"] == f"/pledges/{item.access_token}/"
    assert re.fullmatch(r"GY[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}", item.reference)
    assert (item.amount, item.project, item.method) == (30_000, project, "bank_transfer")
    assert item.reference in page
    assert "7455 6789 0123 4567" in page
    assert "等待您的捐赠" in page


def test_general_fund_pledge(client, offline):
    response = pledge(client, url="/donate-offline/")

    assert response.status_code == 302
    assert OfflinePledge.objects.get().project is None


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"amount": "abc"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "0.001"}, "amount"),
        ({"donor_email": ""}, "donor_email"),
        ({"method": "bitcoin"}, "method"),
    ],
)
def test_bad_pledges_are_refused_with_a_reason(client, project, offline, data, error):
    response = pledge(client, data)

    assert response.status_code == 200
    assert response.context["form"].has_error(error)
    assert not OfflinePledge.objects.exists()


def test_amount_below_the_minimum_is_refused(client, project, offline, settings):
    settings.FUNDING_MIN_DONATION = 1_000

    response = pledge(client, {"amount": "5"})

    assert "金额须在 10 元至 500000 元之间。" in response.content.decode()
    assert not OfflinePledge.objects.exists()


def test_pledges_are_rate_limited_per_email(client, project, offline, settings):
    settings.FUNDING_VELOCITY_PER_EMAIL = 2

    codes = [pledge(client).status_code for _ in range(3)]

    assert codes == [302, 302, 200]
    assert OfflinePledge.objects.count() == 2


def test_finance_records_the_gift_with_the_code_and_the_pledge_follows(
    client, project, offline, finance_users
):
    first, second = finance_users
    pledge(client)
    item = OfflinePledge.objects.get()

    gift = record_offline_donation(
        project=project,
        amount=30_000,
        method=OfflineMethod.BANK_TRANSFER,
        recorded_by=first,
        reference=item.reference.lower(),
    )
    checking = client.get(f"/pledges/{item.access_token}/").content.decode()
    approve_offline_donation(donation=gift, approved_by=second)
    counted = client.get(f"/pledges/{item.access_token}/").content.decode()

    item.refresh_from_db()
    gift.refresh_from_db()
    assert item.donation == gift
    assert gift.status == DonationStatus.SUCCEEDED
    assert "正由另一位财务人员复核" in checking
    assert "已收到并计入" in counted
    assert f"/donate/gift/{gift.access_token}/status/" in counted
    with pytest.raises(DuplicateReference):
        record_offline_donation(
            project=project,
            amount=30_000,
            method=OfflineMethod.BANK_TRANSFER,
            recorded_by=first,
            reference=item.reference.lower(),
        )


def test_finance_officers_may_edit_the_offline_giving_details(db):
    from django.contrib.auth.models import Group

    from organizations.roles import FINANCE_OFFICER, PROGRAMME_OFFICER
    from tests.factories.organizations import UserFactory

    finance = UserFactory(username="finance-settings", is_staff=True)
    finance.groups.add(Group.objects.get(name=FINANCE_OFFICER))
    officer = UserFactory(username="officer-settings", is_staff=True)
    officer.groups.add(Group.objects.get_or_create(name=PROGRAMME_OFFICER)[0])

    assert finance.has_perm("funding.change_offlinegivingsettings") is True
    assert officer.has_perm("funding.change_offlinegivingsettings") is False


def test_same_transfer_recorded_twice_with_the_code_in_another_case(
    client, project, offline, finance_users
):
    """Officer A types the memo as the bank shows it (gy…), officer B copies the code
    from the pledge list (GY…): one transfer, one gift."""
    first, second = finance_users
    pledge(client)
    item = OfflinePledge.objects.get()

    gift = record_offline_donation(
        project=project,
        amount=30_000,
        method=OfflineMethod.BANK_TRANSFER,
        recorded_by=first,
        reference=f"  {item.reference.lower()} ",
    )
    with pytest.raises(DuplicateReference):
        record_offline_donation(
            project=project,
            amount=30_000,
            method=OfflineMethod.BANK_TRANSFER,
            recorded_by=second,
            reference=item.reference,
        )

    gift.refresh_from_db()
    assert gift.external_id == item.reference
    assert Donation.objects.filter(source="offline").count() == 1


def test_the_database_refuses_an_offline_reference_in_another_case(project, finance_users):
    first, _ = finance_users
    gift = record_offline_donation(
        project=project,
        amount=30_000,
        method=OfflineMethod.BANK_TRANSFER,
        recorded_by=first,
        reference="BANK-123",
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        Donation.objects.create(
            project=project,
            amount=30_000,
            source="offline",
            status=DonationStatus.AWAITING_APPROVAL,
            external_id="bank-123",
        )
    Donation.objects.filter(pk=gift.pk).update(status=DonationStatus.REJECTED)
    Donation.objects.create(
        project=project,
        amount=30_000,
        source="offline",
        status=DonationStatus.AWAITING_APPROVAL,
        external_id="bank-123",
    )


def test_rejected_record_unlinks_the_pledge_and_the_corrected_one_links(
    client, project, offline, finance_users
):
    """A record with a wrong amount is rejected by the second officer and recorded
    again with the same code: the pledge follows the corrected, approved gift."""
    first, second = finance_users
    pledge(client)
    item = OfflinePledge.objects.get()

    def record(amount):
        return record_offline_donation(
            project=project,
            amount=amount,
            method=OfflineMethod.BANK_TRANSFER,
            recorded_by=first,
            reference=item.reference,
        )

    wrong = record(3_000)
    item.refresh_from_db()
    assert item.donation == wrong
    reject_offline_donation(donation=wrong, rejected_by=second, reason="金额录错")
    item.refresh_from_db()
    assert item.donation is None
    right = record(30_000)
    approve_offline_donation(donation=right, approved_by=second)

    item.refresh_from_db()
    right.refresh_from_db()
    page = client.get(f"/pledges/{item.access_token}/").content.decode()
    assert right.status == DonationStatus.SUCCEEDED
    assert item.donation == right
    assert "已收到并计入" in page
