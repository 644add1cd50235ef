"""Consent to the privacy policy (PIPL): asked at sign-up, asked again when the policy's
version changes, recorded with version and time, in the data export, withdrawable from
/me/ with its consequence stated, and enforced for every signed-in request."""

import json

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import translation
from wagtail.models import ModelLogEntry

from portal import consent, privacy
from portal.demo import PRIVACY_POLICY_VERSION
from portal.models import Consent, ConsentPurpose, PrivacyPolicyPage
from tests.factories.organizations import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _publish_new_version(version: str) -> None:
    for page in PrivacyPolicyPage.objects.all():
        page.version = version
        page.save_revision().publish()


def _signup(client, **extra):
    data = {
        "email": "new.person@example.org",
        "username": "newperson",
        "password1": "a-long-pass-phrase-9",
        "password2": "a-long-pass-phrase-9",
        **extra,
    }
    return client.post("/en/accounts/signup/", data)


def test_demo_site_publishes_a_versioned_policy_in_both_languages(site_pages, client):
    policy = consent.current_policy()
    assert policy.version == PRIVACY_POLICY_VERSION
    zh = client.get("/privacy/")
    en = client.get("/en/privacy/")
    assert zh.status_code == en.status_code == 200
    assert "隐私政策" in zh.content.decode()
    assert "Privacy policy" in en.content.decode()
    assert f"Version {PRIVACY_POLICY_VERSION}" in en.content.decode()
    # the footer of every page links it
    assert 'href="/en/privacy/"' in client.get("/en/projects/").content.decode()


def test_signup_without_consent_is_refused_and_keeps_what_was_typed(site_pages, client):
    response = _signup(client)
    assert response.status_code == 200
    page = response.content.decode()
    assert "You can only open an account if you agree to the privacy policy." in page
    assert 'value="new.person@example.org"' in page
    assert 'href="/en/privacy/"' in page  # the box links the policy it asks about
    assert not get_user_model().objects.filter(username="newperson").exists()


def test_signup_with_consent_records_version_and_time(site_pages, client):
    response = _signup(client, privacy_consent="on")
    assert response.status_code == 302
    user = get_user_model().objects.get(username="newperson")
    (record,) = Consent.objects.filter(user=user)
    assert (record.purpose, record.version, record.withdrawn_at) == (
        ConsentPurpose.PRIVACY_POLICY,
        PRIVACY_POLICY_VERSION,
        None,
    )
    assert ModelLogEntry.objects.filter(
        object_id=str(record.pk), action="portal.consent_given"
    ).exists()
    assert len(mail.outbox) == 1  # the confirmation mail still goes out


def test_signed_in_person_without_consent_is_sent_to_the_consent_page(site_pages, client):
    user = UserFactory(privacy_consent=False)
    client.force_login(user)
    response = client.get("/en/me/")
    assert response.status_code == 302
    assert response["Location"] == "/en/me/consent/?next=%2Fen%2Fme%2F"
    # a POST elsewhere is not carried out either
    before = EmailAddress.objects.count()
    post = client.post("/en/me/organizations/new/", {"name": "x"})
    assert post.status_code == 302 and post["Location"] == "/en/me/consent/"
    assert EmailAddress.objects.count() == before
    # the policy itself, the consent page and signing out stay open
    assert client.get("/en/privacy/").status_code == 200
    page = client.get("/en/me/consent/?next=/en/me/")
    assert page.status_code == 200
    assert "Before you go on, please read the privacy policy" in page.content.decode()


def test_agreeing_on_the_consent_page_records_it_and_returns(site_pages, client):
    user = UserFactory(privacy_consent=False)
    client.force_login(user)
    refused = client.post("/en/me/consent/", {"next": "/en/me/"})
    assert refused.status_code == 200
    assert "Please tick the box to agree to the privacy policy." in refused.content.decode()
    assert not Consent.objects.filter(user=user).exists()
    response = client.post("/en/me/consent/", {"agree": "on", "next": "/en/me/"})
    assert response.status_code == 302 and response["Location"] == "/en/me/"
    assert client.get("/en/me/").status_code == 200
    assert Consent.objects.get(user=user).version == PRIVACY_POLICY_VERSION


def test_consent_page_never_redirects_off_site(site_pages, client):
    user = UserFactory(privacy_consent=False)
    client.force_login(user)
    response = client.post("/en/me/consent/", {"agree": "on", "next": "https://evil.example/"})
    assert response["Location"] == reverse("organizations:dashboard")


def test_a_new_policy_version_asks_everyone_again(site_pages, client):
    user = UserFactory()
    client.force_login(user)
    assert client.get("/en/me/").status_code == 200
    _publish_new_version("2027-03")
    response = client.get("/en/me/")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "The privacy policy has changed (now version 2027-03)." in page
    client.post("/en/me/consent/", {"agree": "on"})
    versions = sorted(Consent.objects.filter(user=user).values_list("version", flat=True))
    assert versions == [PRIVACY_POLICY_VERSION, "2027-03"]
    assert client.get("/en/me/").status_code == 200


def test_admin_is_gated_too(site_pages, client):
    staff = UserFactory(is_staff=True, is_superuser=True, privacy_consent=False)
    client.force_login(staff)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/me/consent/")


def test_withdrawal_from_me_signs_out_and_explains(site_pages, client):
    user = UserFactory()
    client.force_login(user)
    dashboard = client.get("/en/me/").content.decode()
    assert "Your consents" in dashboard
    assert "If you withdraw your consent you are signed out" in dashboard
    record = Consent.objects.get(user=user)
    response = client.post(f"/en/me/consent/{record.pk}/withdraw/", follow=True)
    assert response.status_code == 200
    assert "Your consent to the privacy policy was withdrawn and you were signed out." in (
        response.content.decode()
    )
    record.refresh_from_db()
    assert record.withdrawn_at is not None
    assert "_auth_user_id" not in client.session
    # on the next sign-in the portal asks again before anything else
    client.force_login(user)
    assert client.get("/en/me/")["Location"].startswith("/en/me/consent/")


def test_nobody_withdraws_someone_elses_consent(site_pages, client):
    victim = UserFactory()
    attacker = UserFactory()
    client.force_login(attacker)
    record = Consent.objects.get(user=victim)
    assert client.post(f"/en/me/consent/{record.pk}/withdraw/").status_code == 404
    assert client.get(f"/en/me/consent/{record.pk}/withdraw/").status_code == 405
    record.refresh_from_db()
    assert record.withdrawn_at is None


def test_consents_are_in_the_persons_data_export(site_pages):
    user = UserFactory()
    record = Consent.objects.get(user=user)
    consent.withdraw_consent(consent=record)
    data = json.loads(privacy.export_json(user))
    exported = data["records"]["portal.consent.user"]
    assert len(exported) == 1
    assert exported[0]["purpose"] == ConsentPurpose.PRIVACY_POLICY
    assert exported[0]["version"] == PRIVACY_POLICY_VERSION
    assert exported[0]["withdrawn_at"] is not None


def test_giving_and_withdrawing_are_audit_logged(site_pages):
    user = UserFactory(privacy_consent=False)
    policy = consent.current_policy()
    record = consent.record_consent(user=user, policy=policy)
    again = consent.record_consent(user=user, policy=policy)
    assert again.pk == record.pk  # idempotent
    consent.withdraw_consent(consent=record)
    consent.withdraw_consent(consent=record)  # a second withdrawal changes nothing
    actions = list(
        ModelLogEntry.objects.filter(object_id=str(record.pk)).values_list("action", flat=True)
    )
    assert sorted(actions) == ["portal.consent_given", "portal.consent_withdrawn"]


def test_no_policy_page_means_no_gate_and_no_box(db, client):
    assert consent.current_policy() is None
    user = UserFactory(privacy_consent=False)
    MembershipFactory(user=user)
    client.force_login(user)
    assert client.get("/en/me/").status_code == 200
    form = client.get("/en/accounts/signup/").content.decode()
    assert "privacy_consent" not in form


def test_consent_check_costs_no_query_once_in_the_session(
    site_pages, client, rf, django_assert_num_queries
):
    user = UserFactory()
    client.force_login(user)
    assert client.get("/en/notifications/").status_code == 200
    assert client.session[consent.SESSION_KEY] == PRIVACY_POLICY_VERSION
    request = rf.get("/en/projects/")
    request.user = user
    request.session = {consent.SESSION_KEY: PRIVACY_POLICY_VERSION}
    consent.current_policy()  # warm the cache, as any earlier request did
    with django_assert_num_queries(0):
        assert consent.needs_consent(request) is False
    request.session = {}
    with django_assert_num_queries(1):
        assert consent.needs_consent(request) is False
    assert request.session[consent.SESSION_KEY] == PRIVACY_POLICY_VERSION


def test_withdrawing_in_one_browser_stops_the_account_in_every_browser(site_pages):
    from django.test import Client

    user = UserFactory()
    laptop, phone = Client(), Client()
    laptop.force_login(user)
    phone.force_login(user)
    assert phone.get("/en/me/").status_code == 200
    record = Consent.objects.get(user=user)

    laptop.post(f"/en/me/consent/{record.pk}/withdraw/")

    response = phone.get("/en/me/")
    assert response.status_code == 302
    assert response["Location"].startswith("/en/me/consent/")
    # agreeing again on the phone lets the phone, and a later sign-in, go on
    phone.post("/en/me/consent/", {"agree": "on"})
    assert phone.get("/en/me/").status_code == 200


def test_person_who_withdrew_can_still_download_their_data(site_pages, client):
    """The right to a copy (PIPL art. 45) does not depend on consenting again; the export
    still asks for the password first, like everyone's."""
    user = UserFactory()
    consent.withdraw_consent(consent=Consent.objects.get(user=user))
    client.force_login(user)

    response = client.get("/en/me/data.json")

    assert response.status_code == 302
    assert response["Location"].startswith("/en/accounts/reauthenticate/")
    assert client.get("/en/me/")["Location"].startswith("/en/me/consent/")
