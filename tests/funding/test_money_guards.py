"""#17 items 6–9 (bad input and currency/receipt/day-cap correctness): reused references
are refused with a clear message, an oversized import row is refused at validation, a
settlement never adds another currency's pool, receipts follow refunds, imported gifts
get receipts, and the per-day cap counts the day a gift was received."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from funding.enums import DonationSource, MatchingMode, OfflineMethod
from funding.errors import DuplicateReference
from funding.models import Donation, MatchReservation, Receipt, Settlement
from funding.services.donations import (
    mark_succeeded,
    record_offline_donation,
    record_refund,
)
from funding.services.imports import (
    ImportRejected,
    approve_import,
    commit_import,
    preview_import,
)
from funding.services.matching import pool_available, reserve_match
from funding.services.pools import top_up_pool
from funding.services.reconcile import reconcile
from funding.services.settlement import commit_settlement, plan_settlement
from tests.factories.funding import (
    DonationFactory,
    MatchedProjectFactory,
    MatchingRuleFactory,
    MatchPoolFactory,
    funded_pool,
    make_call,
)
from tests.factories.organizations import UserFactory

pytestmark = pytest.mark.django_db
HEADER = "external_id,project_slug,amount_yuan,donor_name,donor_email,date,message,anonymous\n"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def officer(client):
    user = UserFactory(username="fin1", is_superuser=True, is_staff=True)
    client.force_login(user)
    return user


def test_top_up_reusing_a_reference_with_another_amount_is_refused():
    pool = funded_pool(10_000)

    with translation.override("en"), pytest.raises(DuplicateReference) as caught:
        top_up_pool(pool=pool, amount=99_000, key="initial")
    again = top_up_pool(pool=pool, amount=10_000, key="initial")

    assert caught.value.field == "reference"
    assert caught.value.messages == [
        "Transfer reference initial was already used for a top-up of 10000 fen to this "
        "pool. Nothing was recorded; check the reference."
    ]
    assert again == pool_available(pool) == 10_000


def test_admin_top_up_reused_reference_shows_the_error(client, officer):
    pool = funded_pool(10_000)

    response = client.post(
        f"/admin/funding_pools/money/{pool.pk}/", {"amount": "990", "reference": "initial"}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "转账流水号 initial 已用于向此配捐池注资 10000 分" in page
    assert "配捐池已注资。" not in page
    assert pool_available(pool) == 10_000


def test_admin_offline_reused_bank_reference_is_a_form_error(client, officer):
    project = MatchedProjectFactory()
    other = UserFactory(username="fin0", is_superuser=True)
    first = record_offline_donation(
        project=project,
        amount=5_000,
        method=OfflineMethod.BANK_TRANSFER,
        recorded_by=other,
        reference="BANK-1",
    )
    data = {
        "project": project.pk,
        "amount": "80",
        "method": "bank_transfer",
        "reference": "BANK-1",
        "anonymity": "none",
        "received_on": timezone.localdate().isoformat(),
        "evidence": SimpleUploadedFile("slip.pdf", PDF, content_type="application/pdf"),
    }

    response = client.post("/admin/funding_donations/offline/", data)

    assert response.status_code == 200
    assert f"流水号 BANK-1 已登记在线下捐赠 #{first.pk}" in response.content.decode()
    assert Donation.objects.count() == 1


def test_import_row_beyond_the_amount_limit_is_refused_at_validation():
    MatchingRuleFactory()
    MatchedProjectFactory(slug="imp-proj")
    today = timezone.localdate().isoformat()
    content = (HEADER + f"B1,imp-proj,100000000000000000,,,{today},,\n").encode()

    with translation.override("en"):
        preview = preview_import(content=content, source="generic")
    with pytest.raises(ImportRejected):
        commit_import(content=content, source="generic", file_name="big.csv")

    assert preview.errors == [(2, "amount '100000000000000000' is more than ¥999,999,999,999.99")]
    assert Donation.objects.count() == 0


def test_imported_gifts_get_receipt_records(finance_users):
    MatchingRuleFactory()
    MatchedProjectFactory(slug="imp-proj")
    today = timezone.localdate().isoformat()
    content = (HEADER + f"C1,imp-proj,100,李四,ls@example.org,{today},,\n").encode()
    batch = commit_import(content=content, source="generic", file_name="a.csv")

    approve_import(batch=batch, approved_by=finance_users[0])

    gift = Donation.objects.get()
    assert (gift.receipt.amount, gift.receipt.declined) == (10_000, True)
    assert reconcile().ok


def test_receipt_amount_follows_refunds():
    MatchingRuleFactory()
    gift = DonationFactory(amount=10_000, receipt_requested=True)
    mark_succeeded(donation=gift, amount_received=10_000, currency="CNY")
    before = Receipt.objects.get(donation=gift).amount

    record_refund(donation=gift, refunded_total=4_000)
    partly = Receipt.objects.get(donation=gift).amount
    record_refund(donation=gift, refunded_total=10_000)

    assert (before, partly, Receipt.objects.get(donation=gift).amount) == (10_000, 6_000, 0)


def test_settlement_never_adds_a_pool_in_another_currency():
    call = make_call()
    MatchingRuleFactory(call=call, mode=MatchingMode.SETTLEMENT)
    project = MatchedProjectFactory(slug="set-a")
    gift = DonationFactory(project=project, amount=10_000)
    mark_succeeded(donation=gift, amount_received=10_000, currency="CNY")
    funded_pool(4_000, call=call)
    usd = MatchPoolFactory(currency="USD")
    usd.calls.add(call)
    top_up_pool(pool=usd, amount=1_000_000, key="usd")

    plan = plan_settlement(call=call)
    settlement, created = commit_settlement(call=call)

    assert (plan.available, plan.needed, plan.total) == (4_000, 10_000, 4_000)
    assert created is True
    assert Settlement.objects.get().total == settlement.total == 4_000
    assert pool_available(usd) == 1_000_000
    assert reconcile().ok


def test_daily_cap_counts_the_day_the_gift_was_received():
    rule = MatchingRuleFactory(cap_per_day=10_000, count_offline=True)
    rule.campaign_starts_at = timezone.now() - timedelta(days=5)
    rule.save()
    funded_pool(1_000_000)
    project = MatchedProjectFactory()
    yesterday = timezone.now() - timedelta(days=1)
    officers = UserFactory(is_superuser=True), UserFactory(is_superuser=True)
    from funding.services.donations import approve_offline_donation

    late = record_offline_donation(
        project=project,
        amount=10_000,
        method=OfflineMethod.CASH,
        recorded_by=officers[0],
        received_at=yesterday,
    )
    approve_offline_donation(donation=late, approved_by=officers[1])
    today = DonationFactory(project=project, amount=10_000, source=DonationSource.STRIPE)

    held_today = sum(r.amount for r in reserve_match(donation=today))

    assert MatchReservation.objects.get(donation=late).amount == 10_000
    assert held_today == 10_000
