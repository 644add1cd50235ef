"""Receipts an accountant accepts as an acknowledgement (#16): issuer from the site
setting, gap-free serial numbers per year, amount in capitals, purpose, TEST watermark,
and the official e-receipt recorded by finance and shown to the donor."""

import io
import subprocess

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import override
from PIL import Image
from pypdf import PdfReader
from wagtail.models import Site

from funding.enums import Anonymity, DonationSource
from funding.models import Receipt, ReceiptCounter, ReceiptSettings
from funding.services.donations import mark_succeeded, record_refund
from funding.services.receipts import (
    issue_annual_statement,
    next_receipt_number,
    record_official_receipt,
    render_receipt_pdf,
)
from organizations.roles import FINANCE_OFFICER, PROGRAMME_OFFICER
from tests.factories.funding import DonationFactory, MatchedProjectFactory
from tests.factories.organizations import UserFactory

pytestmark = pytest.mark.django_db

CREDIT_CODE = "53440300MJL000001Y"  # check character computed per GB 32100-2015
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _paid(**kwargs):
    donation = DonationFactory(**kwargs)
    mark_succeeded(donation=donation, amount_received=donation.amount, currency="CNY")
    donation.refresh_from_db()
    return donation


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _png(color=(200, 0, 0, 255)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", (60, 60), color).save(buffer, format="PNG")
    return buffer.getvalue()


def _issuer(**fields) -> ReceiptSettings:
    issuer = ReceiptSettings.for_site(Site.objects.get(is_default_site=True))
    for name, value in {"issuer_name": "深圳市某某公益基金会", "credit_code": CREDIT_CODE}.items():
        setattr(issuer, name, fields.get(name, value))
    issuer.save()
    return issuer


def _staff(username, role):
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


def test_serial_numbers_run_per_year_without_gaps():
    year = timezone.localdate().year

    first = _paid(amount=1_000).receipt
    second = _paid(amount=2_000).receipt
    with pytest.raises(RuntimeError), transaction.atomic():
        next_receipt_number(series="", year=year)  # an issue that rolls back
        raise RuntimeError("checkout failed after numbering")
    third = _paid(amount=3_000).receipt

    assert [first.number, second.number, third.number] == [
        f"{year}-000001",
        f"{year}-000002",
        f"{year}-000003",
    ]
    assert ReceiptCounter.objects.get(series="", year=year).last == 3


def test_counters_are_separate_per_year_and_series():
    year = timezone.localdate().year
    _paid(amount=1_000, donor_email="a@example.org", donor_name="甲")

    statement = issue_annual_statement(donor_email="a@example.org", year=year)
    next_year = next_receipt_number(series="", year=year + 1)

    assert statement.number == f"A{year}-000001"
    assert next_year == f"{year + 1}-000001"


def test_receipt_pdf_names_issuer_amount_in_capitals_and_purpose():
    _issuer()
    project = MatchedProjectFactory(title="社区长者助餐")
    donation = _paid(
        project=project, amount=12_345, receipt_requested=True, receipt_name="某某科技有限公司"
    )

    with override("zh-hans"):
        text = _text(render_receipt_pdf(receipt=donation.receipt))

    assert "深圳市某某公益基金会" in text
    assert CREDIT_CODE in text
    assert "人民币壹佰贰拾叁元肆角伍分" in text
    assert "¥123.45" in text
    assert "社区长者助餐" in text
    assert "某某科技有限公司" in text
    assert donation.receipt.number in text
    assert "未配置" not in text
    assert "TEST" not in text


def test_receipt_without_issuer_settings_says_so_and_still_downloads(client):
    donation = _paid(amount=100_000, receipt_requested=True)

    with override("zh-hans"):
        text = _text(render_receipt_pdf(receipt=donation.receipt))
    response = client.get(f"/donate/gift/{donation.access_token}/receipt.pdf")

    assert "开具单位未配置" in text
    assert "人民币壹仟元整" in text
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_general_fund_gift_names_the_general_fund_in_the_readers_language():
    donation = _paid(project=None, amount=100_500, receipt_requested=True)

    with override("en"):
        english = _text(render_receipt_pdf(receipt=donation.receipt))
    with override("zh-hans"):
        chinese = _text(render_receipt_pdf(receipt=donation.receipt))

    assert "General fund (unrestricted)" in english
    assert "非定向捐赠" in chinese
    assert "人民币壹仟零伍元整" in chinese


def test_test_mode_gifts_are_watermarked_and_real_ones_are_not(settings):
    settings.STRIPE_SECRET_KEY = "sk_live_real"
    test_gift = _paid(source=DonationSource.TEST, amount=1_000)
    stripe_test_key = _paid(amount=1_000)  # issued while the site runs on test keys below
    real_gift = _paid(amount=1_000)
    Receipt.objects.filter(pk=stripe_test_key.receipt.pk).delete()
    settings.STRIPE_SECRET_KEY = "sk_test_abc"
    stripe_test_key.refresh_from_db()
    from funding.services.receipts import issue_receipt

    stripe_receipt = issue_receipt(donation=stripe_test_key)

    assert (test_gift.receipt.test_mode, stripe_receipt.test_mode) == (True, True)
    assert real_gift.receipt.test_mode is False
    assert "测试 / TEST" in _text(render_receipt_pdf(receipt=test_gift.receipt))
    assert "测试 / TEST" not in _text(render_receipt_pdf(receipt=real_gift.receipt))


def test_anonymous_gift_receipt_names_nobody():
    donation = _paid(
        amount=2_000, receipt_requested=True, donor_name="王五", anonymity=Anonymity.HIDE_BOTH
    )

    with override("zh-hans"):
        text = _text(render_receipt_pdf(receipt=donation.receipt))

    assert "王五" not in text
    assert "爱心人士（不需要票据）" in text


def test_fully_refunded_gift_receipt_is_marked_void():
    donation = _paid(amount=5_000, receipt_requested=True)
    record_refund(donation=donation, refunded_total=5_000)
    donation.receipt.refresh_from_db()

    with override("en"):
        text = _text(render_receipt_pdf(receipt=donation.receipt))

    assert "this receipt is void" in text
    assert donation.receipt.amount == 0


def test_seal_is_embedded_in_the_pdf_and_the_stored_copy_is_replaced_when_it_changes():
    from portal.core.reports import is_stale, render_report

    issuer = _issuer()
    donation = _paid(amount=1_000, receipt_requested=True)
    render_report("receipt", donation.receipt.pk, "zh-hans")
    without_seal = render_receipt_pdf(receipt=donation.receipt)
    issuer.seal.save("seal.png", SimpleUploadedFile("seal.png", _png()), save=True)

    with_seal = render_receipt_pdf(receipt=donation.receipt)

    assert b"/Subtype /Image" in with_seal
    assert b"/Subtype /Image" not in without_seal
    assert is_stale("receipt", donation.receipt.pk, "zh-hans") is True


def test_issuer_settings_refuse_a_bad_credit_code_and_a_non_image_seal():
    issuer = _issuer()
    issuer.credit_code = CREDIT_CODE[:-1] + "9"
    issuer.seal = SimpleUploadedFile("seal.png", PDF_BYTES)

    with override("zh-hans"), pytest.raises(ValidationError) as caught:
        issuer.full_clean()

    assert set(caught.value.message_dict) == {"credit_code", "seal"}
    assert "校验" in caught.value.message_dict["credit_code"][0]
    assert "PNG" in caught.value.message_dict["seal"][0]


def test_finance_may_edit_the_receipt_issuer_and_a_programme_officer_may_not():
    finance = _staff("fin-issuer", FINANCE_OFFICER)
    officer = _staff("officer-issuer", PROGRAMME_OFFICER)

    assert finance.has_perm("funding.change_receiptsettings") is True
    assert officer.has_perm("funding.change_receiptsettings") is False


def test_finance_saves_the_issuer_with_a_seal_in_the_admin(client):
    finance = _staff("fin-seal", FINANCE_OFFICER)
    from django.contrib.auth.models import Permission

    Group.objects.get(name=FINANCE_OFFICER).permissions.add(
        Permission.objects.get(codename="access_admin")
    )
    client.force_login(finance)
    site = Site.objects.get(is_default_site=True)
    url = f"/admin/settings/funding/receiptsettings/{site.pk}/"

    response = client.post(
        url,
        {
            "issuer_name": "深圳市某某公益基金会",
            "credit_code": CREDIT_CODE,
            "seal": SimpleUploadedFile("seal.png", _png()),
        },
    )
    page = client.get(url)

    issuer = ReceiptSettings.for_site(site)
    assert response.status_code == 302
    assert (issuer.issuer_name, issuer.credit_code) == ("深圳市某某公益基金会", CREDIT_CODE)
    assert issuer.seal.read().startswith(b"\x89PNG")
    assert page.status_code == 200


# --- the official e-receipt ---------------------------------------------------------


@pytest.fixture
def finance(client):
    from django.contrib.auth.models import Permission

    user = _staff("fin-ereceipt", FINANCE_OFFICER)
    Group.objects.get(name=FINANCE_OFFICER).permissions.add(
        Permission.objects.get(codename="access_admin")
    )
    return user


def test_finance_records_the_official_e_receipt_and_the_donor_sees_it(client, finance):
    donation = _paid(amount=100_000, receipt_requested=True, donor_name="李四")
    client.force_login(finance)

    response = client.post(
        f"/admin/funding_donations/official-receipt/{donation.pk}/",
        {
            "official_code": "44010126",
            "official_number": "０００００１２３４５",
            "pdf": SimpleUploadedFile("票据.pdf", PDF_BYTES, content_type="application/pdf"),
        },
    )
    client.logout()
    page = client.get(f"/en/donate/gift/{donation.access_token}/status/").content.decode()
    download = client.get(f"/donate/gift/{donation.access_token}/e-receipt.pdf")

    receipt = Receipt.objects.get(donation=donation)
    assert response.status_code == 302
    assert (receipt.official_code, receipt.official_number) == ("44010126", "0000012345")
    assert receipt.official_recorded_by == finance
    assert "code 44010126, number 0000012345" in page
    assert f"/donate/gift/{donation.access_token}/e-receipt.pdf" in page
    assert b"".join(download.streaming_content) == PDF_BYTES
    assert download["Cache-Control"] == "private, no-store"


def test_a_non_pdf_e_receipt_is_refused_with_a_translated_reason(client, finance):
    donation = _paid(amount=1_000)
    client.force_login(finance)

    response = client.post(
        f"/admin/funding_donations/official-receipt/{donation.pk}/",
        {
            "official_code": "44010126",
            "official_number": "0000012345",
            "pdf": SimpleUploadedFile("e-receipt.pdf", _png(), content_type="application/pdf"),
        },
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )

    assert response.status_code == 200
    assert "不是 PDF" in response.content.decode()
    assert Receipt.objects.get(donation=donation).official_number == ""


@pytest.mark.parametrize(
    ("code", "number", "field"),
    [("4401012", "0000012345", "official_code"), ("44010126", "12345", "official_number")],
)
def test_malformed_e_receipt_numbers_are_refused(client, finance, code, number, field):
    donation = _paid(amount=1_000)
    client.force_login(finance)

    response = client.post(
        f"/admin/funding_donations/official-receipt/{donation.pk}/",
        {
            "official_code": code,
            "official_number": number,
            "pdf": SimpleUploadedFile("e.pdf", PDF_BYTES),
        },
    )

    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    assert Receipt.objects.get(donation=donation).official_number == ""


def test_one_e_receipt_cannot_acknowledge_two_gifts(finance):
    first, second = _paid(amount=1_000), _paid(amount=2_000)
    record_official_receipt(
        receipt=first.receipt,
        code="44010126",
        number="0000012345",
        pdf=SimpleUploadedFile("e.pdf", PDF_BYTES),
        by=finance,
    )

    with pytest.raises(ValidationError) as caught:
        record_official_receipt(
            receipt=second.receipt,
            code="44010126",
            number="0000012345",
            pdf=SimpleUploadedFile("e.pdf", PDF_BYTES),
            by=finance,
        )

    assert first.receipt.number in caught.value.messages[0]


def test_programme_officer_may_not_record_an_e_receipt(client):
    officer = _staff("officer-ereceipt", PROGRAMME_OFFICER)
    donation = _paid(amount=1_000)
    client.force_login(officer)

    response = client.get(f"/admin/funding_donations/official-receipt/{donation.pk}/")

    # Wagtail answers a refused admin view with a redirect to the dashboard.
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert Receipt.objects.get(donation=donation).official_number == ""


def test_e_receipt_download_is_404_before_finance_records_it(client):
    donation = _paid(amount=1_000)

    response = client.get(f"/donate/gift/{donation.access_token}/e-receipt.pdf")

    assert response.status_code == 404


def test_receipt_pdf_shows_the_official_number_once_recorded(finance):
    donation = _paid(amount=1_000, receipt_requested=True)
    record_official_receipt(
        receipt=donation.receipt,
        code="44010126",
        number="0000012345",
        pdf=SimpleUploadedFile("e.pdf", PDF_BYTES),
        by=finance,
    )
    donation.receipt.refresh_from_db()

    with override("en"):
        text = _text(render_receipt_pdf(receipt=donation.receipt))

    assert "code 44010126, number 0000012345" in text


def test_receipt_renders_to_a_png_page(tmp_path):
    """The PDF rasterises (pdftoppm, as a viewer would) to one A4 page."""
    _issuer()
    donation = _paid(source=DonationSource.TEST, amount=100_000, receipt_requested=True)
    (tmp_path / "r.pdf").write_bytes(render_receipt_pdf(receipt=donation.receipt))

    subprocess.run(  # noqa: S603 - fixed arguments
        ["/usr/bin/pdftoppm", "-png", "-r", "50", str(tmp_path / "r.pdf"), str(tmp_path / "p")],
        check=True,
    )

    pages = sorted(tmp_path.glob("p*.png"))
    assert len(pages) == 1
    assert Image.open(pages[0]).size == (414, 585)


def test_gift_page_says_test_payment_for_a_sandbox_provider_and_not_for_a_real_one(
    client, settings
):
    settings.WECHATPAY_API_BASE = "http://127.0.0.1:9/"  # the make-run sandbox / a fake
    sandbox = _paid(source=DonationSource.WECHATPAY, amount=1_000)
    settings.WECHATPAY_API_BASE = ""
    real = _paid(source=DonationSource.WECHATPAY, amount=1_000)

    sandbox_page = client.get(f"/en/donate/gift/{sandbox.access_token}/status/").content
    real_page = client.get(f"/en/donate/gift/{real.access_token}/status/").content

    assert (sandbox.receipt.test_mode, real.receipt.test_mode) == (True, False)
    assert b"TEST PAYMENT MODE" in sandbox_page
    assert b"TEST PAYMENT MODE" not in real_page
