import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from funding.enums import DonationStatus
from funding.models import Disbursement, Donation
from funding.services.matching import pool_available
from tests.factories.funding import MatchedProjectFactory, MatchingRuleFactory, funded_pool
from tests.factories.organizations import UserFactory

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def officers(client):
    first = UserFactory(username="fin1", is_superuser=True, is_staff=True)
    second = UserFactory(username="fin2", is_superuser=True, is_staff=True)
    return first, second


@pytest.mark.parametrize(
    "url",
    [
        "/admin/funding_donations/",
        "/admin/funding_pools/",
        "/admin/funding_sponsors/",
        "/admin/funding_rules/",
        "/admin/funding_disbursements/",
        "/admin/funding_ledger/",
        "/admin/funding_donations/offline/",
        "/admin/funding_donations/import/",
        "/admin/funding_disbursements/record/",
        "/admin/funding_claw_backs/",
        "/admin/funding_donations/statements/",
    ],
)
def test_admin_pages_render_for_finance(client, officers, url):
    MatchedProjectFactory()
    client.force_login(officers[0])

    response = client.get(url)

    assert response.status_code == 200
    assert b"<form" in response.content or b"listing" in response.content


def test_admin_pages_refused_for_plain_user(client):
    client.force_login(UserFactory(is_staff=True))

    response = client.get("/admin/funding_donations/offline/")

    assert response.status_code in (302, 403)
    assert Donation.objects.count() == 0


def test_admin_offline_record_then_other_officer_approves(client, officers):
    MatchingRuleFactory()
    pool = funded_pool(100_000)
    project = MatchedProjectFactory()
    client.force_login(officers[0])
    client.post(
        "/admin/funding_donations/offline/",
        {
            "project": project.pk,
            "amount": "300",
            "method": "bank_transfer",
            "reference": "B-77",
            "donor_name": "线下",
            "anonymity": "none",
            "received_on": timezone.localdate().isoformat(),
            "evidence": SimpleUploadedFile("slip.pdf", PDF, content_type="application/pdf"),
        },
    )
    donation = Donation.objects.get()

    same = client.post(f"/admin/funding_donations/review/{donation.pk}/", {"action": "approve"})
    client.force_login(officers[1])
    client.post(f"/admin/funding_donations/review/{donation.pk}/", {"action": "approve"})
    evidence = client.get(f"/admin/funding_donations/evidence/{donation.pk}/")

    donation.refresh_from_db()
    assert same.status_code == 302
    assert (donation.status, donation.recorded_by, donation.approved_by) == (
        DonationStatus.SUCCEEDED,
        officers[0],
        officers[1],
    )
    assert pool_available(pool) == 70_000
    assert b"".join(evidence.streaming_content) == PDF


def test_admin_offline_evidence_not_a_document_rejected(client, officers):
    project = MatchedProjectFactory()
    client.force_login(officers[0])

    response = client.post(
        "/admin/funding_donations/offline/",
        {
            "project": project.pk,
            "amount": "300",
            "method": "cash",
            "anonymity": "none",
            "received_on": timezone.localdate().isoformat(),
            "evidence": SimpleUploadedFile("slip.pdf", b"MZ\x90\x00 not a pdf"),
        },
    )

    assert "Upload a PDF, JPEG, PNG or WebP file." in response.content.decode() or (
        "请上传" in response.content.decode()
    )
    assert Donation.objects.count() == 0


def test_admin_import_preview_then_confirm(client, officers):
    MatchedProjectFactory(slug="adm-imp")
    client.force_login(officers[0])
    csv = (
        "external_id,project_slug,amount_yuan,donor_name,donor_email,date,message,anonymous\n"
        f"X1,adm-imp,12,甲,,{timezone.localdate().isoformat()},,\n"
    ).encode()

    preview = client.post(
        "/admin/funding_donations/import/",
        {"source": "generic", "file": SimpleUploadedFile("x.csv", csv, content_type="text/csv")},
    )
    token = preview.context["token"]
    before = Donation.objects.count()
    client.post(
        "/admin/funding_donations/import/",
        {"confirm_token": token, "source": "generic", "file_name": "x.csv"},
    )

    assert "X1" in preview.content.decode()
    assert before == 0
    assert list(Donation.objects.values_list("external_id", "amount", "status")) == [
        ("X1", 1_200, DonationStatus.AWAITING_APPROVAL)
    ]


def test_admin_import_bad_rows_shown_nothing_imported(client, officers):
    client.force_login(officers[0])
    csv = b"external_id,project_slug,amount_yuan,date\nX1,missing,abc,2026-01-01\n"

    preview = client.post(
        "/admin/funding_donations/import/",
        {"source": "generic", "file": SimpleUploadedFile("x.csv", csv)},
    )

    assert "unknown project &#x27;missing&#x27;" in preview.content.decode()
    assert Donation.objects.count() == 0


def test_admin_disbursement_four_eyes(client, officers):
    project = MatchedProjectFactory()
    from funding.services.donations import mark_succeeded
    from tests.factories.funding import DonationFactory

    gift = DonationFactory(project=project, amount=50_000)
    mark_succeeded(donation=gift, amount_received=50_000, currency="CNY")
    client.force_login(officers[0])
    client.post(
        "/admin/funding_disbursements/record/",
        {"project": project.pk, "amount": "100", "milestone": "第一期"},
    )
    disbursement = Disbursement.objects.get()
    approve = {"action": "approve", "paid_on": timezone.localdate().isoformat()}
    client.post(f"/admin/funding_disbursements/approve/{disbursement.pk}/", approve)
    still = Disbursement.objects.get().status
    client.force_login(officers[1])
    client.post(f"/admin/funding_disbursements/approve/{disbursement.pk}/", approve)

    assert still == "recorded"
    assert Disbursement.objects.get().status == "approved"


def test_admin_donation_list_constant_queries(client, officers, django_assert_num_queries):
    from tests.factories.funding import DonationFactory

    client.force_login(officers[0])
    project = MatchedProjectFactory()
    DonationFactory(project=project)
    client.get("/admin/funding_donations/")
    with CaptureQueriesContext(connection) as one:
        client.get("/admin/funding_donations/")
    DonationFactory(project=MatchedProjectFactory())
    DonationFactory(project=project)

    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get("/admin/funding_donations/")

    assert response.content.decode().count("funding_donations/review/") >= 3


def test_admin_offline_evidence_over_the_size_limit_rejected(client, officers, settings):
    settings.MAX_UPLOAD_SIZE = 1024
    project = MatchedProjectFactory()
    client.force_login(officers[0])

    response = client.post(
        "/admin/funding_donations/offline/",
        {
            "project": project.pk,
            "amount": "300",
            "method": "cash",
            "anonymity": "none",
            "received_on": timezone.localdate().isoformat(),
            "evidence": SimpleUploadedFile("slip.pdf", b"%PDF-1.4\n" + b"0" * 2048),
        },
    )

    html = response.content.decode()
    assert "文件过大" in html and "上限为 1.0\xa0KB" in html
    assert Donation.objects.count() == 0
