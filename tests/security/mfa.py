"""Two-factor helpers for tests: the current TOTP code, and a session that has passed
the code step the way allauth records it (for tests that log in with ``force_login``)."""

import time

from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)

# allauth keeps the user id of the records next to them (allauth.account.internal.flows.login)
_RECORDS_USER_KEY = "account_authentication_methods_user"


def totp_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))


def login_with_mfa(client, user) -> None:
    """``force_login`` plus the session record allauth writes after a TOTP code: the
    same session state as a login through the password and code steps."""
    client.force_login(user)
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": time.time(), "username": user.username},
        {"method": "mfa", "at": time.time(), "id": authenticator.pk, "type": "totp"},
    ]
    session[_RECORDS_USER_KEY] = str(user.pk)
    session.save()
