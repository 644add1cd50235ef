"""Odd input gets a clear 4xx or a form error, never a 500 (#14 item 9)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from funding.models import Disbursement, Donation
from tests.factories.funding import MatchedProjectFactory, MatchingRuleFactory, funded_pool
from tests.factories.organizations import UserFactory

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HUGE = "99999999999999999999"  # beyond 64 bits
TEN_TO_19_FEN = "100000000000000000"  # yuan: 10^19 fen, beyond a bigint column


@pytest.fixture
def finance(client):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    return client


@pytest.mark.parametrize("amount", ["1e20", TEN_TO_19_FEN])
def test_offline_gift_huge_amount_is_a_form_error(finance, amount):
    project = MatchedProjectFactory()

    response = finance.post(
        "/admin/funding_donations/offline/",
        {
            "project": project.pk,
            "amount": amount,
            "method": "bank_transfer",
            "reference": "B-1",
            "anonymity": "none",
            "received_on": timezone.localdate().isoformat(),
            "evidence": SimpleUploadedFile("slip.pdf", PDF, content_type="application/pdf"),
        },
    )

    assert response.status_code == 200
    assert Donation.objects.count() == 0
    assert response.context["form"].errors["amount"] == [_expected(amount)]


@pytest.mark.parametrize("amount", ["1e20", TEN_TO_19_FEN])
def test_disbursement_huge_amount_is_a_form_error(finance, amount):
    project = MatchedProjectFactory()

    response = finance.post(
        "/admin/funding_disbursements/record/", {"project": project.pk, "amount": amount}
    )

    assert response.status_code == 200
    assert Disbursement.objects.count() == 0
    assert response.context["form"].errors["amount"] == [_expected(amount)]


@pytest.mark.parametrize("amount", ["1e20", TEN_TO_19_FEN])
def test_pool_money_huge_amount_is_a_form_error(finance, amount):
    MatchingRuleFactory()
    pool = funded_pool(100_000)

    response = finance.post(
        f"/admin/funding_pools/money/{pool.pk}/", {"amount": amount, "reference": "T-1"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["amount"] == [_expected(amount)]


def _expected(amount: str) -> str:
    if "e" in amount:
        return "请输入以元为单位的金额，例如 88 或 88.50。"
    return "请输入不超过¥999,999,999,999.99的金额。"


def test_project_list_call_beyond_64_bits_is_refused(client, site_pages):
    """Like any bad filter value: the directory page, the filter ignored, the error shown
    (tests/public/test_directory.py::test_directory_page_bad_input_is_a_normal_page)."""
    response = client.get(f"/projects/?call={HUGE}")

    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert response.context["filter"].form.errors["call"] == [
        "选择一个有效的选项： 该选择不在可用的选项中。"
    ]


def test_matching_results_beyond_64_bits_is_404(client, site_pages):
    response = client.get(f"/matching-results/{HUGE}/")

    assert response.status_code == 404


def _funding_log_entries():
    """A pool topped up and a gift cleared: log entries for a model with an edit view
    (the pool) and for one whose admin has none (donations, written by services only)."""
    from wagtail.log_actions import log

    from tests.factories.funding import DonationFactory

    MatchingRuleFactory()
    pool = funded_pool(100_000)
    gift = DonationFactory()
    log(instance=gift, action="funding.donation_cleared")
    return pool, gift


def test_site_history_lists_funding_entries(finance):
    _, gift = _funding_log_entries()

    page = finance.get("/admin/reports/site-history/")
    results = finance.get("/admin/reports/site-history/results/")

    assert (page.status_code, results.status_code) == (200, 200)
    assert f"#{gift.pk} ¥100.00" in results.content.decode()


def test_every_admin_url_finder_names_a_url():
    """Each model's admin URL finder (used by site history, usage pages, choosers)
    reverses: a viewset without an edit view must say so (``WithoutEditView``)."""
    from django.urls import NoReverseMatch, get_resolver, reverse
    from wagtail.admin.admin_url_finder import finder_classes

    get_resolver().resolve("/admin/")  # loading the admin URLconf registers the finders
    broken = []
    for model, finder in list(finder_classes.values_by_class.items()):
        name = getattr(finder, "edit_url_name", None)
        if name is None:
            continue
        try:
            reverse(name, args=("1",))
        except NoReverseMatch:
            broken.append(f"{model._meta.label}: {name}")

    assert broken == []


def test_pool_usage_page_renders(finance):
    pool, _ = _funding_log_entries()

    response = finance.get(f"/admin/funding_pools/usage/{pool.pk}/")

    assert response.status_code == 200
