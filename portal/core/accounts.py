"""django-allauth adapter: failed logins are counted per account.

allauth limits failed logins per IP and per *typed login* (``ACCOUNT_RATE_LIMITS``
``login_failed``: ``…/key``). With login by username or email, each spelling of the
same account then got its own five tries. The key here is the account the typed login
names (username or any of its email addresses, case-insensitive), so every way of
naming an account shares one counter; a login that names no account keeps the typed
text as its key, so an unknown name is limited the same way and answers the same.
"""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.contrib.auth import get_user_model
from django.contrib.sites.shortcuts import get_current_site
from django.http import HttpRequest


def account_for_login(login: str) -> int | None:
    """The id of the account that ``login`` (username or email) names, or ``None``."""
    from allauth.account.models import EmailAddress

    login = (login or "").strip()
    if not login:
        return None
    if "@" in login:
        address = EmailAddress.objects.filter(email__iexact=login).values("user_id").first()
        if address is not None:
            return address["user_id"]
        user = get_user_model().objects.filter(email__iexact=login).values("pk").first()
    else:
        user = get_user_model().objects.filter(username__iexact=login).values("pk").first()
    return None if user is None else user["pk"]


class AccountAdapter(DefaultAccountAdapter):
    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        # allauth's one place for the ``login_failed`` key (checked before the password,
        # cleared on a password reset); tested in tests/security/test_auth_limits.py.
        user_id = account_for_login(credentials.get("email", credentials.get("username", "")))
        if user_id is None:
            return super()._get_login_attempts_cache_key(request, **credentials)
        return f"{get_current_site(request).domain}:account:{user_id}"
