"""Personal data: export, erasure by pseudonymisation (ledger intact), and masking on
public pages and in the API."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum

from portal import privacy

from .world import (
    SECRET_ADDRESS,
    SECRET_CONTACT_EMAIL,
    SECRET_DONOR_NAME,
    SECRET_EMAIL,
    SECRET_MOBILE,
    build_world,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(site_pages):
    return build_world()


@pytest.fixture(autouse=True)
def _english_messages():
    """Refusal messages are asserted in English (msgids)."""
    from django.utils import translation

    with translation.override("en"):
        yield


def _ledger_state():
    from funding.models import Entry, LedgerTransaction

    return (
        LedgerTransaction.objects.count(),
        Entry.objects.count(),
        list(Entry.objects.order_by("pk").values_list("pk", "account_id", "amount")),
        Entry.objects.aggregate(total=Sum("amount"))["total"],
    )


def _guest_donor(world):
    """A donor account (no organization, no role) who also gave once as a guest under
    the same email address."""
    from funding.services.donations import mark_succeeded
    from funding.services.receipts import issue_receipt
    from tests.factories.funding import DonationFactory
    from tests.factories.organizations import UserFactory

    donor = UserFactory(
        username="giver", email="giver@example.net", first_name="赵", last_name="六"
    )
    mine = DonationFactory(
        project=world.project,
        amount=30_000,
        user=donor,
        donor_name="赵六",
        donor_email="giver@example.net",
        receipt_requested=True,
        receipt_name="赵六",
        receipt_address="罗湖区某街1号",
        message="加油",
    )
    guest = DonationFactory(
        project=world.project,
        amount=7_000,
        user=None,
        donor_name="赵六",
        donor_email="GIVER@example.net",
    )
    for donation in (mine, guest):
        mark_succeeded(donation=donation, amount_received=donation.amount, currency="CNY")
    mine.refresh_from_db()
    receipt = issue_receipt(donation=mine)
    return donor, mine, guest, receipt


# --- Export --------------------------------------------------------------------------------


def test_export_holds_account_memberships_applications_donations_and_receipts(world):
    applicant = world.users["applicant"]

    data = json.loads(privacy.export_json(applicant))

    assert data["account"]["username"] == "applicant"
    assert data["account"]["second_factors"] == []
    assert [m["organization_id"] for m in data["records"]["organizations.membership.user"]] == [
        world.org.pk
    ]
    assert [a["id"] for a in data["records"]["projects.application.created_by"]] == [world.draft.pk]
    assert [d["id"] for d in data["donations"]] == [world.donation.pk]
    assert data["donations"][0]["receipt_address"] == SECRET_ADDRESS
    assert [r["number"] for r in data["receipts"]] == [world.receipt.number]


def test_export_holds_reviews_and_needs_but_no_second_factor_secret(world):
    reviewer = world.users["reviewer"]
    author = world.users["other_member"]

    reviewer_data = privacy.export_person_data(reviewer)
    author_data = privacy.export_person_data(author)

    assert [
        a["application_id"] for a in reviewer_data["records"]["review.assignment.reviewer"]
    ] == [world.reviewed.pk]
    assert reviewer_data["account"]["second_factors"] == ["totp"]
    assert "mfa.authenticator.user" not in reviewer_data["records"]
    assert "JBSWY3DPEHPK3PXP" not in privacy.export_json(reviewer)
    assert [n["id"] for n in author_data["records"]["projects.communityneed.author"]] == [
        world.need.pk
    ]


def test_export_command_writes_json_to_file(world, tmp_path):
    target = tmp_path / "person.json"

    call_command("export_person_data", "applicant@example.org", "-o", str(target))

    assert (
        json.loads(target.read_text(encoding="utf-8"))["account"]["id"]
        == world.users["applicant"].pk
    )


def test_export_command_rejects_unknown_user(world):
    with pytest.raises(CommandError, match="No single user"):
        call_command("export_person_data", "nobody")


def test_member_downloads_own_data_after_confirming_password(world, client):
    client.post("/accounts/login/", {"login": "applicant", "password": "pass-word-123"})

    dashboard = client.get("/me/")
    asked = client.get("/me/data.json")
    confirmed = client.post(
        "/accounts/reauthenticate/?next=/me/data.json", {"password": "pass-word-123"}
    )
    response = client.get("/me/data.json")

    assert 'href="/me/data.json"' in dashboard.content.decode()
    assert asked["Location"].startswith("/accounts/reauthenticate/")
    assert confirmed["Location"] == "/me/data.json"
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="my-data.json"'
    assert response["Cache-Control"] == "no-store"
    data = json.loads(response.content)
    assert data["account"]["username"] == "applicant"
    assert [d["id"] for d in data["donations"]] == [world.donation.pk]


def test_data_download_without_recent_login_asks_for_password(world, client):
    client.force_login(world.users["applicant"])

    response = client.get("/me/data.json")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")


# --- Erasure -------------------------------------------------------------------------------


def test_erase_pseudonymises_donor_and_keeps_ledger_exact(world):
    from funding.models import Receipt
    from funding.services.reconcile import reconcile

    donor, mine, guest, receipt = _guest_donor(world)
    before = _ledger_state()

    counts = privacy.erase_person(donor)

    donor.refresh_from_db()
    mine.refresh_from_db()
    guest.refresh_from_db()
    receipt.refresh_from_db()
    receipts = Receipt.objects.filter(donation__in=[mine, guest])
    assert counts["donations"] == 2
    assert counts["receipts"] == receipts.count() >= 1
    assert all(r.donor_email == "" and "赵六" not in r.donor_name for r in receipts)
    assert (donor.username, donor.email, donor.first_name, donor.is_active) == (
        f"erased-{donor.pk}",
        "",
        "",
        False,
    )
    assert not donor.has_usable_password()
    for donation in (mine, guest):
        assert "赵六" not in donation.donor_name
        assert donation.donor_email == ""
        assert donation.ip_address is None
    assert (mine.receipt_name, mine.receipt_address, mine.message) == (mine.donor_name, "", "")
    assert (mine.amount, guest.amount, mine.status) == (30_000, 7_000, "succeeded")
    assert (receipt.amount, receipt.donor_email) == (30_000, "")
    assert "赵六" not in receipt.donor_name
    assert _ledger_state() == before
    assert reconcile().ok


def test_erased_person_cannot_log_in_and_leaves_an_audit_entry(world, client):
    from wagtail.models import ModelLogEntry

    donor, *_ = _guest_donor(world)

    call_command("erase_person", "giver", "--yes")

    assert not client.login(username="giver", password="pass-word-123")
    assert not client.login(username=f"erased-{donor.pk}", password="pass-word-123")
    assert (
        ModelLogEntry.objects.filter(action="portal.person_erased", object_id=str(donor.pk)).count()
        == 1
    )


def test_erase_command_refuses_staff_role_and_changes_nothing(world):
    with pytest.raises(CommandError, match="staff role"):
        call_command("erase_person", "reviewer", "--yes")

    world.users["reviewer"].refresh_from_db()
    assert world.users["reviewer"].username == "reviewer"


def test_erase_refuses_only_owner_of_an_organization(world):
    with pytest.raises(privacy.ErasureRefused, match=world.org.name):
        privacy.erase_person(world.users["applicant"])

    world.donation.refresh_from_db()
    assert world.donation.donor_name == SECRET_DONOR_NAME


def test_erase_command_without_yes_only_explains(world):
    donor, mine, *_ = _guest_donor(world)

    with pytest.raises(CommandError, match="--yes"):
        call_command("erase_person", str(donor.pk))

    mine.refresh_from_db()
    assert mine.donor_name == "赵六"


def test_erase_refuses_while_a_donation_is_being_paid(world):
    from tests.factories.funding import DonationFactory
    from tests.factories.organizations import UserFactory

    payer = UserFactory(username="payer")
    DonationFactory(project=world.project, user=payer, donor_email=payer.email)

    assert any("being paid" in reason for reason in privacy.erasure_refusals(payer))


# --- Masking on public pages and in the API ---------------------------------------------------


SECRETS = [
    SECRET_MOBILE,
    SECRET_EMAIL,
    SECRET_DONOR_NAME,
    SECRET_ADDRESS,
    SECRET_CONTACT_EMAIL,
    "named.donor@example.net",
    "applicant@example.org",
]


def _public_urls(world):
    return [
        "/",
        "/en/",
        "/projects/rainbow-meals/",
        "/en/projects/rainbow-meals/",
        "/projects/",
        world.org.get_absolute_url(),
        "/organizations/",
        world.call.url,
        "/stats/",
        "/feeds/updates.atom",
        "/needs/",
        f"/needs/{world.need.pk}/",
        "/api/v1/projects",
        f"/api/v1/projects/{world.project.pk}",
        "/api/v1/projects?format=csv",
        "/api/v1/organizations",
        f"/api/v1/organizations/{world.org.pk}",
        "/api/v1/organizations?format=csv",
        f"/api/v1/calls/{world.call.pk}",
        "/api/v1/stats",
        f"/matching-results/{world.call.pk}/",
        "/search/?q=彩虹",
    ]


def test_public_pages_and_api_never_show_contact_or_hidden_donor_data(world, client):
    leaks = []

    for url in _public_urls(world):
        response = client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode()
        leaks += [(url, secret) for secret in SECRETS if secret in text]

    assert leaks == []


def test_project_page_shows_named_donor_and_hides_anonymous_one(world, client):
    page = client.get(world.project.get_absolute_url()).content.decode()

    assert "公开捐赠人李四" in page
    assert SECRET_DONOR_NAME not in page


def test_organization_page_shows_no_phone_number_even_masked(world, client):
    page = client.get(world.org.get_absolute_url()).content.decode()

    assert SECRET_MOBILE[-4:] not in page  # the masked form kept the last four digits
    assert "联系电话" not in page


def test_donation_status_page_shows_no_email_or_address(world, client):
    page = client.get(f"/donate/gift/{world.donation.access_token}/status/").content.decode()

    assert SECRET_EMAIL not in page
    assert SECRET_ADDRESS not in page


def test_erase_purges_cached_public_pages_that_showed_the_person(
    world, client, django_capture_on_commit_callbacks
):
    donor, *_ = _guest_donor(world)
    url = world.project.get_absolute_url()
    cached = client.get(url).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        privacy.erase_person(donor)
    after = client.get(url).content.decode()

    assert "赵六" in cached
    assert "赵六" not in after


def test_erasing_a_matched_donor_keeps_cap_usage_consistent():
    """Erasure blanks the e-mail the per-donor match cap row is keyed by: the row
    follows in the same transaction (reconcile stays clean, a later refund finds no
    stale row) and no ledger amount changes."""
    from funding.models import MatchCapUsage
    from funding.services.caps import donor_key
    from funding.services.donations import mark_succeeded, record_refund
    from funding.services.matching import reserve_match
    from funding.services.reconcile import reconcile
    from tests.factories.funding import DonationFactory, MatchingRuleFactory, funded_pool
    from tests.factories.organizations import UserFactory

    MatchingRuleFactory(cap_per_donor_project=50_000)
    funded_pool(100_000)
    donor = UserFactory(email="zhao.liu@example.org")
    gift = DonationFactory(amount=10_000, donor_email="Zhao.Liu@example.org", user=donor)
    reserve_match(donation=gift)
    mark_succeeded(donation=gift, amount_received=10_000, currency="CNY")
    key = donor_key(gift.project_id, "zhao.liu@example.org")
    assert MatchCapUsage.objects.get(key=key).used > 0
    before = _ledger_state()

    privacy.erase_person(donor)

    assert MatchCapUsage.objects.get(key=key).used == 0
    assert _ledger_state() == before
    erased = reconcile()
    assert erased.ok, erased.problems
    gift.refresh_from_db()
    record_refund(donation=gift, refunded_total=10_000)
    refunded = reconcile()
    assert refunded.ok, refunded.problems
    assert not MatchCapUsage.objects.filter(key__startswith="donor:", used__gt=0).exists()
