"""MFA per session: a user with a TOTP authenticator reaches the admin (including the
reviewer and finance views inside it) only from a session that passed the code step."""

from urllib.parse import quote

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group, Permission

from organizations import roles
from tests.factories.organizations import UserFactory

from .mfa import login_with_mfa, totp_code

pytestmark = pytest.mark.django_db

SECRET = "JBSWY3DPEHPK3PXP"
REAUTH = "/accounts/2fa/reauthenticate/"


def _enrolled(username, role=None, **flags):
    user = UserFactory(username=username, **flags)
    if role:
        group = Group.objects.get_or_create(name=role)[0]
        group.permissions.add(Permission.objects.get(codename="access_admin"))
        user.groups.add(group)
    TOTP.activate(user, SECRET)
    return user


@pytest.mark.parametrize("mfa_required", [False, True])
@pytest.mark.parametrize(
    ("username", "role", "flags", "path"),
    [
        ("officer", None, {"is_staff": True, "is_superuser": True}, "/admin/"),
        ("rev", roles.REVIEWER, {}, "/admin/review/queue/"),
        ("fin", roles.FINANCE_OFFICER, {}, "/admin/funding_donations/"),
    ],
)
def test_enrolled_user_without_code_in_session_is_asked_for_it(
    client, settings, mfa_required, username, role, flags, path
):
    settings.MFA_REQUIRED_FOR_STAFF = mfa_required
    client.force_login(_enrolled(username, role, **flags))

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"{REAUTH}?next={quote(path, safe='')}"


def test_password_only_session_records_do_not_count(client, settings):
    """A session whose records show a password login only (no code) is still stopped."""
    settings.MFA_REQUIRED_FOR_STAFF = True
    user = _enrolled("officer", is_staff=True, is_superuser=True)
    login_with_mfa(client, user)
    session = client.session
    session["account_authentication_methods"] = [
        r for r in session["account_authentication_methods"] if r["method"] != "mfa"
    ]
    session.save()

    assert client.get("/admin/")["Location"].startswith(REAUTH)


def test_code_records_of_another_user_do_not_count(client):
    """allauth ties the records to a user id: another user's code does not open the
    admin for this one."""
    other = _enrolled("other", is_staff=True, is_superuser=True)
    user = _enrolled("officer", is_staff=True, is_superuser=True)
    login_with_mfa(client, other)
    session = client.session
    session["account_authentication_methods_user"] = str(other.pk)
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.save()

    assert client.get("/admin/")["Location"].startswith(REAUTH)


def test_login_with_password_and_code_reaches_admin_and_reviewer_views(client, settings):
    settings.MFA_REQUIRED_FOR_STAFF = False  # an enrolled user is asked for a code anyway
    _enrolled("rev", roles.REVIEWER)

    login = client.post(
        "/accounts/login/?next=/admin/", {"login": "rev", "password": "pass-word-123"}
    )
    code = client.post("/accounts/2fa/authenticate/", {"code": totp_code(SECRET)})

    assert login["Location"] == "/accounts/2fa/authenticate/"
    assert code["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/review/queue/").status_code == 200


def test_reauthentication_with_code_opens_the_admin(client):
    client.force_login(_enrolled("fin", roles.FINANCE_OFFICER))
    stopped = client.get("/admin/funding_donations/")

    page = client.get(stopped["Location"])
    wrong = client.post(stopped["Location"], {"code": "000000"})
    still = client.get("/admin/funding_donations/")
    right = client.post(stopped["Location"], {"code": totp_code(SECRET)})

    assert page.status_code == 200
    assert wrong.status_code == 200 and wrong.context["form"].errors
    assert still.status_code == 302
    assert right["Location"] == "/admin/funding_donations/"
    assert client.get("/admin/funding_donations/").status_code == 200


def test_staff_without_totp_keeps_the_setting_semantics(client, settings):
    """Not enrolled: MFA_REQUIRED_FOR_STAFF decides (off in dev/test, on in production)."""
    staff = UserFactory(username="officer", is_staff=True, is_superuser=True)
    client.force_login(staff)
    settings.MFA_REQUIRED_FOR_STAFF = False
    off = client.get("/admin/")
    settings.MFA_REQUIRED_FOR_STAFF = True
    on = client.get("/admin/")

    assert off.status_code == 200
    assert on["Location"] == "/accounts/2fa/totp/activate/"


def test_member_site_pages_need_no_code(client, settings):
    """The check guards the admin only: an enrolled user's own site pages stay open."""
    settings.MFA_REQUIRED_FOR_STAFF = True
    client.force_login(_enrolled("officer", is_staff=True, is_superuser=True))

    assert client.get("/me/").status_code == 200


def test_enrolling_totp_counts_as_the_code_step_for_this_session(client, settings, monkeypatch):
    """Staff made to set up TOTP type a valid code to do it; the admin then opens
    without asking for another code in the same session."""
    settings.MFA_REQUIRED_FOR_STAFF = True
    user = UserFactory(username="newstaff", is_staff=True, is_superuser=True)
    user.set_password("pw-for-enrolment-2026")
    user.save()
    client.post("/accounts/login/", {"login": "newstaff", "password": "pw-for-enrolment-2026"})
    assert client.get("/admin/")["Location"] == "/accounts/2fa/totp/activate/"
    # allauth asks for the password again before a device is added
    client.post("/accounts/reauthenticate/", {"password": "pw-for-enrolment-2026"})
    client.get("/accounts/2fa/totp/activate/")
    secret = client.session["mfa.totp.secret"]

    # allauth sends ``authenticator_added`` on commit. In a served request (autocommit,
    # ATOMIC_REQUESTS off) that is the end of its atomic block, inside the view, before
    # the session is saved; inside this test's transaction it would never run, so run
    # on-commit callbacks at once, as the server does.
    from allauth.mfa.totp.internal import flows

    monkeypatch.setattr(flows.transaction, "on_commit", lambda func, *a, **k: func())
    enrolled = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    admin = client.get("/admin/")

    assert enrolled.status_code == 302
    assert admin.status_code == 200


def test_adding_recovery_codes_records_no_code_step(client):
    """Only a typed TOTP code counts: generating recovery codes leaves the session as
    it was (still asked for the code)."""
    from allauth.mfa.signals import authenticator_added
    from django.test import RequestFactory

    user = _enrolled("officer", is_staff=True, is_superuser=True)
    client.force_login(user)
    request = RequestFactory().get("/")
    request.user = user
    request.session = client.session
    recovery = Authenticator.objects.create(
        user=user, type=Authenticator.Type.RECOVERY_CODES, data={"seed": "00", "used_mask": 0}
    )
    authenticator_added.send(
        sender=Authenticator, request=request, user=user, authenticator=recovery
    )
    request.session.save()

    assert client.get("/admin/")["Location"].startswith(REAUTH)
