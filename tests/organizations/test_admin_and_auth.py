import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group
from django.core import mail
from wagtail.models import ModelLogEntry

from organizations import roles
from organizations.models import VerificationEvent
from tests.factories.organizations import MembershipFactory, OrganizationFactory, UserFactory

from .conftest import count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def mfa_required(settings):
    settings.MFA_REQUIRED_FOR_STAFF = True


def _with_totp(user):
    TOTP.activate(user, "JBSWY3DPEHPK3PXP")
    return user


def test_admin_verify_submitted_organization(client, staff_user):
    org = OrganizationFactory(status="submitted")
    client.force_login(staff_user)

    page = client.get(f"/admin/organizations_admin/verify/{org.pk}/")
    response = client.post(f"/admin/organizations_admin/verify/{org.pk}/", {"decision": "verify"})

    org.refresh_from_db()
    assert org.name in page.content.decode()
    assert response["Location"] == "/admin/organizations_admin/"
    assert org.status == "verified"
    assert VerificationEvent.objects.get(organization=org).actor == staff_user
    assert (
        ModelLogEntry.objects.filter(action="organizations.verified", user=staff_user).count() == 1
    )


def test_admin_return_without_reason_shows_error(client, staff_user):
    org = OrganizationFactory(status="submitted")
    client.force_login(staff_user)

    response = client.post(
        f"/admin/organizations_admin/verify/{org.pk}/", {"decision": "return", "reason": ""}
    )

    org.refresh_from_db()
    assert response.status_code == 200
    assert response.context["form"].errors["reason"] == ["必需字段"]
    assert org.status == "submitted"


def test_admin_return_with_reason(client, staff_user):
    org = OrganizationFactory(status="submitted")
    client.force_login(staff_user)

    client.post(
        f"/admin/organizations_admin/verify/{org.pk}/", {"decision": "return", "reason": "缺少章程"}
    )

    org.refresh_from_db()
    assert org.status == "returned"
    assert VerificationEvent.objects.get(organization=org).reason == "缺少章程"


def test_admin_verify_by_reviewer_is_forbidden(client):
    reviewer = UserFactory(username="rev", is_staff=True)
    reviewer.groups.add(Group.objects.get(name=roles.REVIEWER))
    org = OrganizationFactory(status="submitted")
    client.force_login(reviewer)

    response = client.post(f"/admin/organizations_admin/verify/{org.pk}/", {"decision": "verify"})

    org.refresh_from_db()
    # Wagtail turns PermissionDenied into a redirect to the dashboard with a message.
    assert response["Location"] == "/admin/"
    assert org.status == "submitted"


def test_admin_organization_list_query_count_constant(client, staff_user):
    client.force_login(staff_user)
    OrganizationFactory()
    one, response_one = count_queries(client, "/admin/organizations_admin/")
    OrganizationFactory.create_batch(2)

    three, response_three = count_queries(client, "/admin/organizations_admin/")

    assert (
        len(response_one.context["object_list"]),
        len(response_three.context["object_list"]),
    ) == (1, 3)
    assert one == three


def test_admin_export_csv(client, staff_user):
    OrganizationFactory(name="导出组织")
    client.force_login(staff_user)

    response = client.get("/admin/organizations_admin/?export=csv")

    assert "导出组织" in b"".join(response.streaming_content).decode("utf-8")


def test_staff_without_totp_is_sent_to_mfa_setup(client, staff_user, mfa_required):
    client.force_login(staff_user)

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"


def test_staff_with_totp_reaches_admin(client, staff_user, mfa_required):
    from tests.security.mfa import login_with_mfa

    login_with_mfa(client, _with_totp(staff_user))  # session passed the code step

    response = client.get("/admin/")

    assert response.status_code == 200


def test_reviewer_role_without_is_staff_needs_totp(client, mfa_required):
    reviewer = UserFactory(username="rev2")
    reviewer.groups.add(Group.objects.get(name=roles.REVIEWER))
    client.force_login(reviewer)

    response = client.get("/admin/pages/")

    assert response["Location"] == "/accounts/2fa/totp/activate/"


def test_mfa_not_required_when_setting_off(client, staff_user, settings):
    settings.MFA_REQUIRED_FOR_STAFF = False
    client.force_login(staff_user)

    response = client.get("/admin/")

    assert response.status_code == 200


def test_member_site_pages_need_no_totp(client, mfa_required):
    member = MembershipFactory().user
    client.force_login(member)

    response = client.get("/en/me/")

    assert response.status_code == 200


def test_wagtail_login_redirects_to_allauth(client):
    response = client.get("/admin/login/?next=/admin/pages/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2Fpages%2F"


def test_admin_anonymous_goes_to_allauth_login(client, db):
    response = client.get("/admin/")

    assert response["Location"].startswith("/accounts/login/?next=/admin/")


def test_login_with_totp_asks_for_code(client, staff_user):
    _with_totp(staff_user)

    response = client.post("/en/accounts/login/", {"login": "officer", "password": "pass-word-123"})

    assert response["Location"] == "/en/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session


def test_admin_logout_logs_out(client, staff_user):
    client.force_login(staff_user)

    client.post("/admin/logout/")
    response = client.get("/admin/")

    assert "_auth_user_id" not in client.session
    assert response["Location"].startswith("/accounts/login/")


def test_login_throttled_after_five_failures(client, db):
    UserFactory(username="victim")
    for _ in range(5):
        client.post("/en/accounts/login/", {"login": "victim", "password": "wrong"})

    response = client.post("/en/accounts/login/", {"login": "victim", "password": "pass-word-123"})

    assert response.context["form"].errors["__all__"] == [
        "Too many failed login attempts. Try again later."
    ]
    assert "_auth_user_id" not in client.session


def test_signup_sends_verification_email_and_requires_it(client, db):
    response = client.post(
        "/en/accounts/signup/",
        {
            "email": "new@example.org",
            "username": "newcomer",
            "password1": "a-Long-pass-2026",
            "password2": "a-Long-pass-2026",
        },
    )

    assert response["Location"] == "/en/accounts/confirm-email/"
    assert mail.outbox[0].to == ["new@example.org"]
    assert "_auth_user_id" not in client.session


def test_totp_authenticator_is_per_user(staff_user):
    _with_totp(staff_user)

    assert Authenticator.objects.filter(user=staff_user, type="totp").count() == 1


def test_login_lands_on_dashboard(client, db):
    UserFactory(username="member")

    response = client.post("/en/accounts/login/", {"login": "member", "password": "pass-word-123"})

    assert response["Location"] == "/en/me/"


def test_member_without_admin_access_goes_to_dashboard(client):
    client.force_login(MembershipFactory().user)

    response = client.get("/admin/", follow=True)

    assert response.redirect_chain == [("/me/", 302)]
    assert "您的账号无权访问管理后台。" in response.content.decode()


def test_wagtail_password_reset_redirects_to_allauth(client):
    response = client.get("/admin/password_reset/")

    assert response["Location"] == "/accounts/password/reset/"


def test_login_with_totp_code_reaches_admin(client, staff_user, mfa_required):
    from allauth.mfa.totp.internal.auth import (
        format_hotp_value,
        hotp_value,
        yield_hotp_counters_from_time,
    )

    _with_totp(staff_user)
    client.post("/accounts/login/?next=/admin/", {"login": "officer", "password": "pass-word-123"})
    code = format_hotp_value(hotp_value("JBSWY3DPEHPK3PXP", next(yield_hotp_counters_from_time())))

    response = client.post("/accounts/2fa/authenticate/", {"code": code})
    admin = client.get("/admin/")

    assert response["Location"] == "/admin/"
    assert admin.status_code == 200


def test_login_with_wrong_totp_code_is_refused(client, staff_user, mfa_required):
    _with_totp(staff_user)
    client.post("/accounts/login/", {"login": "officer", "password": "pass-word-123"})

    response = client.post("/accounts/2fa/authenticate/", {"code": "000000"})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
