"""Login and donation rate limits; two-factor login enforced for every admin role.

(tests/organizations/test_admin_and_auth.py covers the login throttle, the TOTP step of
allauth's login and the programme-officer/reviewer redirects; this module checks every
MFA role, the other login doors and the donation velocity limit.)"""

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group, Permission

from organizations import roles
from tests.factories.organizations import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mfa_required(settings):
    settings.MFA_REQUIRED_FOR_STAFF = True


def _in_role(username, role):
    user = UserFactory(username=username)
    group = Group.objects.get_or_create(name=role)[0]
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    user.groups.add(group)
    return user


@pytest.mark.parametrize("role", roles.MFA_ROLES)
def test_every_admin_role_must_enrol_totp_before_the_admin(client, mfa_required, role):
    client.force_login(_in_role("worker", role))

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"


def test_superuser_without_role_group_must_enrol_totp(client, mfa_required):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))

    response = client.get("/admin/reports/site-history/")

    assert response["Location"] == "/accounts/2fa/totp/activate/"


def test_password_alone_never_opens_the_admin_for_a_totp_user(client, mfa_required):
    reviewer = _in_role("rev", roles.REVIEWER)
    TOTP.activate(reviewer, "JBSWY3DPEHPK3PXP")

    response = client.post("/accounts/login/", {"login": "rev", "password": "pass-word-123"})
    admin = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert admin.status_code == 302
    assert admin["Location"].startswith("/accounts/login/")


def test_wagtail_frontend_login_is_not_a_side_door(client, mfa_required, site_pages):
    """Wagtail's own front-end login form (for private pages) has neither allauth's rate
    limit nor its two-factor step, so it must hand over to allauth."""
    reviewer = _in_role("rev", roles.REVIEWER)
    TOTP.activate(reviewer, "JBSWY3DPEHPK3PXP")

    form = client.get("/_util/login/?next=/admin/")
    posted = client.post("/_util/login/", {"username": "rev", "password": "pass-word-123"})
    admin = client.get("/admin/")

    assert form.status_code == 302
    assert form["Location"].startswith("/accounts/login/")
    assert posted.status_code in (302, 405)
    assert admin["Location"].startswith("/accounts/login/")


def test_login_throttle_counts_english_and_chinese_doors_together(client, db):
    UserFactory(username="victim")
    for i in range(5):
        prefix = "/en" if i % 2 else ""
        client.post(f"{prefix}/accounts/login/", {"login": "victim", "password": f"bad{i}"})

    response = client.post("/en/accounts/login/", {"login": "victim", "password": "pass-word-123"})

    assert response.status_code == 429 or "_auth_user_id" not in client.session


def test_donation_velocity_limit_per_ip_refuses_the_next_checkout(client, settings, db):
    from funding.models import Donation
    from tests.factories.funding import MatchedProjectFactory

    settings.DEBUG = True
    settings.FUNDING_TEST_PAYMENTS = True
    settings.FUNDING_VELOCITY_PER_IP = 3
    project = MatchedProjectFactory(slug="limit-me")
    data = {"preset": "", "custom_amount": "10", "anonymity": "none", "donor_name": "甲"}

    answers = [
        client.post(f"/en/donate/{project.slug}/", {**data, "donor_email": f"d{i}@example.org"})
        for i in range(4)
    ]

    assert [a.status_code for a in answers] == [302, 302, 302, 200]
    assert "Too many donation attempts" in answers[-1].content.decode()
    assert Donation.objects.filter(project=project).count() == 3


def test_donation_velocity_limit_per_email(client, settings, db):
    from funding.models import Donation
    from tests.factories.funding import MatchedProjectFactory

    settings.DEBUG = True
    settings.FUNDING_TEST_PAYMENTS = True
    settings.FUNDING_VELOCITY_PER_EMAIL = 2
    project = MatchedProjectFactory(slug="limit-mail")
    data = {
        "preset": "",
        "custom_amount": "10",
        "anonymity": "none",
        "donor_email": "same@example.org",
    }

    answers = [
        client.post(f"/en/donate/{project.slug}/", data, REMOTE_ADDR=f"10.0.0.{i}")
        for i in range(3)
    ]

    assert [a.status_code for a in answers] == [302, 302, 200]
    assert Donation.objects.filter(donor_email="same@example.org").count() == 2


def test_failed_logins_count_per_account_whatever_login_is_typed(client):
    UserFactory(username="amy", email="amy@example.org")
    for n, login in enumerate(["amy", "AMY", "amy@example.org", "Amy@Example.org", "amy"]):
        client.post(
            "/accounts/login/",
            {"login": login, "password": "wrong-password"},
            REMOTE_ADDR=f"10.0.0.{n + 1}",
        )

    response = client.post(
        "/accounts/login/",
        {"login": "amy@example.org", "password": "pass-word-123"},
        REMOTE_ADDR="10.0.0.9",
    )

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert response.context["form"].errors["__all__"] == ["登录失败次数过多，请稍后重试。"]


def test_failed_logins_of_another_account_do_not_lock_this_one(client):
    UserFactory(username="amy", email="amy@example.org")
    UserFactory(username="ben", email="ben@example.org")
    for n in range(5):
        client.post(
            "/accounts/login/",
            {"login": "ben", "password": "wrong-password"},
            REMOTE_ADDR=f"10.0.1.{n + 1}",
        )

    response = client.post(
        "/accounts/login/", {"login": "amy", "password": "pass-word-123"}, REMOTE_ADDR="10.0.1.9"
    )

    assert response.status_code == 302
