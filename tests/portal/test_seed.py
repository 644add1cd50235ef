from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from wagtail.models import Page

from organizations.models import Organization
from portal.models import NewsPage
from projects.models import Project


@pytest.mark.django_db
def test_seed_demo_twice_creates_no_duplicates():
    call_command("seed_demo", stdout=StringIO())
    counts = (
        Page.objects.count(),
        get_user_model().objects.count(),
        Organization.objects.count(),
        Project.objects.count(),
        NewsPage.objects.count(),
    )

    call_command("seed_demo", stdout=StringIO())

    assert (
        Page.objects.count(),
        get_user_model().objects.count(),
        Organization.objects.count(),
        Project.objects.count(),
        NewsPage.objects.count(),
    ) == counts
    assert NewsPage.objects.count() == 6
    # A donor can pledge an offline gift and receipts name their issuer, out of the box.
    from wagtail.models import Site

    from funding.models import OfflineGivingSettings, ReceiptSettings

    site = Site.objects.get(is_default_site=True)
    offline = OfflineGivingSettings.for_site(site)
    receipts = ReceiptSettings.for_site(site)
    assert offline.payee_name and offline.account_number and offline.office_address
    receipts.full_clean()  # a valid credit code and a real PNG seal
    assert receipts.issuer_name == offline.payee_name
    assert receipts.seal.name.endswith(".png")


@pytest.mark.django_db
def test_seed_demo_prints_demo_logins():
    out = StringIO()
    call_command("seed_demo", stdout=out)

    text = out.getvalue()
    for username in ("admin", "officer", "reviewer1", "reviewer2", "orgmember", "donor"):
        assert f" {username}\n" in text
    assert "demo-pass-2026" in text


@pytest.mark.django_db
def test_seed_demo_again_adds_no_home_page_revisions():
    from portal.models import HomePage

    call_command("seed_demo", stdout=StringIO())
    revisions = {h.pk: h.revisions.count() for h in HomePage.objects.all()}

    call_command("seed_demo", stdout=StringIO())

    assert {h.pk: h.revisions.count() for h in HomePage.objects.all()} == revisions
