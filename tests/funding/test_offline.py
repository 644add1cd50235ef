import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from funding.enums import DonationStatus, OfflineMethod
from funding.errors import FourEyesViolation
from funding.models import LedgerTransaction
from funding.services.donations import (
    approve_offline_donation,
    record_offline_donation,
    reject_offline_donation,
)
from funding.services.matching import pool_available
from funding.services.reconcile import reconcile
from tests.factories.funding import MatchedProjectFactory, MatchingRuleFactory, funded_pool
from tests.factories.organizations import UserFactory

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def recorded(finance_users):
    MatchingRuleFactory()
    first, _ = finance_users
    return record_offline_donation(
        project=MatchedProjectFactory(),
        amount=20_000,
        method=OfflineMethod.BANK_TRANSFER,
        recorded_by=first,
        donor_name="线下捐赠人",
        reference="BANK-1",
        evidence=SimpleUploadedFile("slip.pdf", PDF, content_type="application/pdf"),
    )


def test_offline_recorded_does_not_count_until_approved(recorded):
    assert recorded.status == DonationStatus.AWAITING_APPROVAL
    assert recorded.evidence.name.endswith("slip.pdf")
    assert LedgerTransaction.objects.filter(kind="donation").count() == 0


def test_offline_same_user_cannot_approve(recorded, finance_users):
    with pytest.raises(FourEyesViolation):
        approve_offline_donation(donation=recorded, approved_by=finance_users[0])

    recorded.refresh_from_db()
    assert recorded.status == DonationStatus.AWAITING_APPROVAL


def test_offline_non_finance_cannot_approve(recorded):
    with pytest.raises(FourEyesViolation):
        approve_offline_donation(donation=recorded, approved_by=UserFactory())


def test_offline_second_officer_approves_counts_and_matches(recorded, finance_users):
    pool = funded_pool(100_000)

    approve_offline_donation(donation=recorded, approved_by=finance_users[1])

    recorded.refresh_from_db()
    assert (recorded.status, recorded.approved_by) == (DonationStatus.SUCCEEDED, finance_users[1])
    assert pool_available(pool) == 80_000
    assert reconcile().ok


def test_offline_rejected_never_counts(recorded, finance_users):
    reject_offline_donation(donation=recorded, rejected_by=finance_users[1], reason="no slip")

    recorded.refresh_from_db()
    assert recorded.status == DonationStatus.REJECTED
    assert LedgerTransaction.objects.count() == 0
