"""Admin access rules shared with the site's login (django-allauth).

* Wagtail's own login and password-reset forms would bypass allauth's rate limits and
  two-factor step, so requests for them are sent to the allauth pages.
* Logged-in users without admin access are sent to their dashboard.
* When ``settings.MFA_REQUIRED_FOR_STAFF`` is true, staff and members of
  ``roles.MFA_ROLES`` must enrol a TOTP authenticator before any admin page opens.
* Whatever that setting says, a user who has a TOTP authenticator enrolled must have
  passed the code step *in this session* (allauth records ``{"method": "mfa"}`` in the
  session's authentication records on the two-factor login and on re-authentication).
  A session that signed in some other way (password only through another door, a
  session created by ``login()``/``force_login``, a session carried over from before the
  enrolment) is sent to allauth's re-authentication page for the code first.
"""

from functools import wraps
from urllib.parse import urlencode

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from . import roles


def requires_mfa(user) -> bool:
    """True for users who must use two-factor login (staff and MFA roles)."""
    return user.is_authenticated and (
        user.is_staff or user.is_superuser or roles.has_role(user, *roles.MFA_ROLES)
    )


def has_totp(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def session_passed_mfa(request) -> bool:
    """True when this session's user entered a two-factor code (TOTP or a recovery code)
    at login or on re-authentication, as recorded by allauth in the session."""
    return any(
        isinstance(record, dict) and record.get("method") == "mfa"
        for record in get_authentication_records(request, request.user)
    )


def record_code_on_enrolment(sender, request, user, authenticator, **kwargs):
    """``authenticator_added`` receiver: setting up TOTP means typing a valid code, so the
    session gets the same ``{"method": "mfa"}`` record as a code login. Without it a staff
    member who had just enrolled was asked for a second code on the way to the admin.
    Recovery codes and other authenticator kinds record nothing (no code was typed)."""
    from allauth.account.internal.flows.login import record_authentication

    if (
        request is not None
        and authenticator.type == Authenticator.Type.TOTP
        and getattr(request, "user", None) is not None
        and request.user.pk == user.pk
    ):
        record_authentication(request, user, "mfa", id=authenticator.pk, type="totp", enrolled=True)


def mfa_redirect(request, *, enrol_message: str, code_message: str, always_code: bool = False):
    """Where a session that has not passed two-factor must go first, or None.

    With ``settings.MFA_REQUIRED_FOR_STAFF`` on, a user who must use two-factor login
    (:func:`requires_mfa`) and has no TOTP authenticator is sent to enrol one; a user who
    has one but whose session never entered a code (:func:`session_passed_mfa`) is sent
    to allauth's re-authentication page, then back. ``always_code`` asks for the code
    from every user with an authenticator whatever the setting (the admin's rule)."""
    user = request.user
    if not user.is_authenticated:
        return None
    staff = settings.MFA_REQUIRED_FOR_STAFF and requires_mfa(user)
    if staff and not has_totp(user):
        messages.warning(request, enrol_message)
        return redirect("mfa_activate_totp")
    if (staff or always_code) and has_totp(user) and not session_passed_mfa(request):
        messages.warning(request, code_message)
        return redirect(
            f"{reverse('mfa_reauthenticate')}?{urlencode({'next': request.get_full_path()})}"
        )
    return None


def staff_data_redirect(request):
    return mfa_redirect(
        request,
        enrol_message=_("Set up two-factor authentication before opening staff data."),
        code_message=_("Enter the code from your authenticator app to open this page."),
    )


def staff_mfa_required(view):
    """Decorator for every view outside ``/admin/`` that serves staff-only data
    (verification documents, agreements, incubation records, pending needs, staff report
    downloads): staff accounts (:func:`requires_mfa`) need a session that passed
    two-factor when ``settings.MFA_REQUIRED_FOR_STAFF`` is on, as in the admin.
    Organization members and donors without a staff role are not affected."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        return staff_data_redirect(request) or view(request, *args, **kwargs)

    return wrapped


class StaffMFARequiredMixin:
    """:func:`staff_mfa_required` for class-based views."""

    def dispatch(self, request, *args, **kwargs):
        return staff_data_redirect(request) or super().dispatch(request, *args, **kwargs)


class AdminAccessMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path.startswith(reverse("wagtailadmin_home")):
            response = self._check(request, path)
            if response is not None:
                return response
        return self.get_response(request)

    def _check(self, request, path):
        if path == reverse("wagtailadmin_login"):
            next_url = request.GET.get("next") or reverse("wagtailadmin_home")
            return redirect(f"{reverse('account_login')}?{urlencode({'next': next_url})}")
        if path.startswith(reverse("wagtailadmin_password_reset")):
            return redirect("account_reset_password")
        if path == reverse("wagtailadmin_logout"):
            return None
        user = request.user
        if user.is_authenticated and not user.has_perm("wagtailadmin.access_admin"):
            # Wagtail would send a logged-in user without access back to the login page,
            # which (allauth) sends a logged-in user straight back: a redirect loop.
            messages.error(request, _("Your account has no access to the administration area."))
            return redirect("organizations:dashboard")
        return mfa_redirect(
            request,
            enrol_message=_(
                "Set up two-factor authentication before using the administration area."
            ),
            code_message=_(
                "Enter the code from your authenticator app to continue to the administration area."
            ),
            always_code=True,
        )
