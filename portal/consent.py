"""Consent to the privacy policy (PIPL): asked at sign-up, asked again when the policy's
version changes, recorded with version and time, listed in the person's data export and
withdrawable from ``/me/``.

- The policy is the live :class:`~portal.models.PrivacyPolicyPage` of the default
  language; :func:`current_policy` reads it from the cache (dropped whenever such a page
  is published, unpublished or deleted), so checking consent costs no query per request.
- Sign-up (allauth) shows a required box "I have read and agree to the privacy policy"
  (:class:`SignupConsentForm`) and records the consent with the new account.
- :class:`ConsentMiddleware` sends a signed-in person without an active consent to the
  current version to ``/me/consent/`` (the policy, the box, nothing else), except on the
  pages they need to read it, sign out or manage their account. The result is kept in the
  session, so the database is asked once per session and version.
- Withdrawing (``/me/consent/<id>/withdraw/``) records the time, signs the person out and
  explains the consequence: the portal stops using their account until they agree again;
  what must be kept by law (gifts, receipts, ledger, decisions) stays, and erasure can be
  requested. Nothing is processed "on consent" behind their back: the gate holds until a
  new consent is given.

No policy page published (a bare install) means nothing to consent to: the gate is off
and sign-up asks nothing; ``manage.py check --deploy`` warns about it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.checks import Warning as CheckWarning
from django.db import DatabaseError, IntegrityError, transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from wagtail.log_actions import log

from .models import Consent, ConsentPurpose, PrivacyPolicyPage

CACHE_KEY = "portal:privacy-policy:v1"
SESSION_KEY = "privacy_consent_version"
# When this session last found the consent in the database (epoch seconds); a withdrawal
# made in another browser after it sends the session back to the database.
SESSION_CHECKED = "privacy_consent_checked"
# Paths a person without consent may still open (after the optional /en prefix).
OPEN_PREFIXES = (
    "/me/consent/",
    "/accounts/",
    "/static/",
    "/media/",
    "/jsi18n/",
    "/a11y/",
)
# The data export stays open: a person who withdrew keeps the right to a copy of their data.
OPEN_PATHS = ("/favicon.ico", "/healthz", "/robots.txt", "/me/data.json")


@dataclass(frozen=True)
class Policy:
    version: str
    page_id: int
    translation_key: str


def current_policy() -> Policy | None:
    """The privacy policy in force (the live page in the default language), or None."""
    cached = cache.get(CACHE_KEY)
    if cached is not None:
        return cached or None
    page = (
        PrivacyPolicyPage.objects.live()
        .filter(locale__language_code=settings.LANGUAGE_CODE)
        .order_by("pk")
        .only("pk", "version", "translation_key")
        .first()
    )
    policy = Policy(page.version, page.pk, str(page.translation_key)) if page else None
    cache.set(CACHE_KEY, policy or False, 3600)
    return policy


def _withdrawn_key(user_id: int) -> str:
    return f"{CACHE_KEY}:withdrawn:{user_id}"


def _remember(session, policy: Policy) -> None:
    session[SESSION_KEY] = policy.version
    session[SESSION_CHECKED] = time.time()


def forget_policy(**kwargs) -> None:
    cache.delete_many([CACHE_KEY, *(f"{CACHE_KEY}:url:{code}" for code, _n in settings.LANGUAGES)])


def policy_url() -> str:
    """The policy page's URL in the active language ("" without a policy); cached, so
    the footer link costs no query."""
    language = get_language() or settings.LANGUAGE_CODE
    key = f"{CACHE_KEY}:url:{language}"
    url = cache.get(key)
    if url is None:
        policy = current_policy()
        page = policy_page(policy) if policy else None
        url = (page.url or "") if page else ""
        cache.set(key, url, 3600)
    return url


def policy_page(policy: Policy):
    """The policy page in the active language (the default language's when untranslated)."""
    pages = PrivacyPolicyPage.objects.live().filter(translation_key=policy.translation_key)
    language = (get_language() or settings.LANGUAGE_CODE).lower()
    for page in pages.select_related("locale"):
        if page.locale.language_code.lower() == language:
            return page
    return pages.filter(pk=policy.page_id).first()


def active_consent(user, policy: Policy) -> Consent | None:
    return Consent.objects.filter(
        user=user,
        purpose=ConsentPurpose.PRIVACY_POLICY,
        version=policy.version,
        withdrawn_at__isnull=True,
    ).first()


def record_consent(*, user, policy: Policy, request=None) -> Consent:
    """Record ``user``'s consent to ``policy`` (idempotent: an active one is returned)."""
    existing = active_consent(user, policy)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            consent = Consent.objects.create(
                user=user, purpose=ConsentPurpose.PRIVACY_POLICY, version=policy.version
            )
            log(
                instance=consent,
                action="portal.consent_given",
                user=user,
                data={"purpose": consent.purpose, "version": consent.version},
            )
    except IntegrityError:  # the same person agreeing twice at the same instant
        consent = active_consent(user, policy)
    if request is not None and getattr(request, "session", None) is not None:
        _remember(request.session, policy)
    return consent


def withdraw_consent(*, consent: Consent) -> Consent:
    """End an active consent now; a withdrawn one is left as it is."""
    with transaction.atomic():
        locked = Consent.objects.select_for_update().get(pk=consent.pk)
        if locked.withdrawn_at is None:
            locked.withdrawn_at = timezone.now()
            locked.save(update_fields=["withdrawn_at"])
            log(
                instance=locked,
                action="portal.consent_withdrawn",
                user=locked.user,
                data={"purpose": locked.purpose, "version": locked.version},
            )
            # Every other browser of this person goes back to the database at its next
            # request (the shared cache reaches every app server). Set at once: should
            # the transaction roll back, a session merely looks its consent up again.
            cache.set(_withdrawn_key(locked.user_id), time.time(), settings.SESSION_COOKIE_AGE)
    return locked


def register_log_actions(actions) -> None:
    actions.register_action(
        "portal.consent_given",
        gettext_lazy("Give consent"),
        gettext_lazy("Consent to the privacy policy given"),
    )
    actions.register_action(
        "portal.consent_withdrawn",
        gettext_lazy("Withdraw consent"),
        gettext_lazy("Consent to the privacy policy withdrawn"),
    )


def _unprefixed(path: str) -> str:
    for code, _name in settings.LANGUAGES:
        prefix = f"/{code}/"
        if path.startswith(prefix):
            return path[len(prefix) - 1 :]
    return path


def needs_consent(request) -> bool:
    """Whether the signed-in person must agree to the current policy before going on."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    policy = current_policy()
    if policy is None:
        return False
    session = request.session
    if session.get(SESSION_KEY) == policy.version:
        withdrawn = cache.get(_withdrawn_key(user.pk))
        if withdrawn is None or session.get(SESSION_CHECKED, 0) > withdrawn:
            return False
    if active_consent(user, policy) is not None:
        _remember(session, policy)
        return False
    session.pop(SESSION_KEY, None)
    return True


def remember_consent_on_login(sender, request, user, **kwargs) -> None:
    """``user_logged_in``: look the consent up while signing in, so that the pages after
    it do not (and a person who withdrew is stopped at their first page)."""
    session = getattr(request, "session", None)
    if session is None:
        return
    session.pop(SESSION_KEY, None)
    policy = current_policy()
    if policy is not None and active_consent(user, policy) is not None:
        _remember(session, policy)


class ConsentMiddleware:
    """Send a signed-in person without consent to the current policy to ``/me/consent/``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = _unprefixed(request.path_info)
        if (
            path not in OPEN_PATHS
            and not path.startswith(OPEN_PREFIXES)
            and needs_consent(request)
            and not self._is_policy_page(path)
        ):
            target = reverse("privacy_consent")
            if request.method == "GET":
                target += "?" + urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(target)
        return self.get_response(request)

    @staticmethod
    def _is_policy_page(path: str) -> bool:
        policy = current_policy()
        if policy is None:
            return False
        page = policy_page(policy)
        return page is not None and _unprefixed(page.url or "") == path


class ConsentForm(forms.Form):
    agree = forms.BooleanField(
        label=gettext_lazy("I have read and agree to the privacy policy"),
        required=True,
        error_messages={
            "required": gettext_lazy("Please tick the box to agree to the privacy policy.")
        },
    )


class SignupConsentForm(forms.Form):
    """allauth's ``ACCOUNT_SIGNUP_FORM_CLASS``: the consent box on the sign-up form."""

    privacy_consent = forms.BooleanField(
        label=gettext_lazy("I have read and agree to the privacy policy"),
        required=True,
        error_messages={
            "required": gettext_lazy(
                "You can only open an account if you agree to the privacy policy."
            )
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        policy = current_policy()
        if policy is None:
            del self.fields["privacy_consent"]
            return
        page = policy_page(policy)
        if page is not None:
            # Django's form templates print help_text unescaped: build it safely.
            self.fields["privacy_consent"].help_text = format_html(
                '<a href="{}" target="_blank" rel="noopener">{}</a>',
                page.url,
                _("Read the privacy policy (version %(version)s)") % {"version": policy.version},
            )

    def signup(self, request, user):
        policy = current_policy()
        if policy is not None and self.cleaned_data.get("privacy_consent"):
            record_consent(user=user, policy=policy, request=request)


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("organizations:dashboard")


@login_required
def consent_view(request):
    """``/me/consent/``: the current policy and the box to agree to it."""
    policy = current_policy()
    if policy is None:
        return redirect(_safe_next(request))
    form = ConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        record_consent(user=request.user, policy=policy, request=request)
        messages.success(request, _("Thank you. Your consent has been recorded."))
        return redirect(_safe_next(request))
    previous = (
        Consent.objects.filter(user=request.user, purpose=ConsentPurpose.PRIVACY_POLICY)
        .order_by("-given_at")
        .first()
    )
    return render(
        request,
        "portal/consent.html",
        {
            "form": form,
            "policy": policy,
            "page": policy_page(policy),
            "previous": previous,
            "already": active_consent(request.user, policy) is not None,
            "next": _safe_next(request),
        },
    )


@login_required
@require_POST
def withdraw_view(request, pk: int):
    """Withdraw one's own consent: recorded, then signed out with the consequence stated."""
    consent = get_object_or_404(Consent, pk=pk, user=request.user)
    withdraw_consent(consent=consent)
    logout(request)
    messages.info(
        request,
        _(
            "Your consent to the privacy policy was withdrawn and you were signed out. "
            "The portal no longer uses your account until you agree again when you next "
            "sign in. Gifts, receipts and decisions already recorded are kept as the law "
            "requires; to have your personal data erased, write to the platform "
            "administrators."
        ),
    )
    return redirect("/" if get_language() == settings.LANGUAGE_CODE else f"/{get_language()}/")


def check_policy_published(app_configs=None, **kwargs):
    """``check --deploy``: a site that takes sign-ups needs a privacy policy."""
    try:
        policy = current_policy()
    except DatabaseError:  # no database yet (e.g. building an image)
        return []
    if policy is None:
        return [
            CheckWarning(
                "No privacy policy page is published: sign-up asks for no consent.",
                hint="Add a 'Privacy policy' page under the home page in the Wagtail admin.",
                id="portal.W010",
            )
        ]
    return []
