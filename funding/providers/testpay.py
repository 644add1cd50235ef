"""A development-only checkout that moves no money, clearly labelled as a test payment.

It cannot run in production: ``is_enabled`` is False whenever ``DEBUG`` is False,
whatever else is configured, and its views return 404 then.
"""

import os
from datetime import datetime

from django.conf import settings
from django.urls import reverse

from . import CheckoutResult


def is_enabled() -> bool:
    if not settings.DEBUG:
        return False
    flag = getattr(settings, "FUNDING_TEST_PAYMENTS", None)
    if flag is None:
        flag = os.environ.get("FUNDING_TEST_PAYMENTS", "") in ("1", "true", "yes")
    return bool(flag)


def create_checkout_session(
    *,
    donation,
    product_name: str,
    success_url: str,
    cancel_url: str,
    expires_at: datetime,
    locale: str,
) -> CheckoutResult:
    if not is_enabled():
        raise RuntimeError("the test payment provider is disabled outside DEBUG")
    return CheckoutResult(
        session_id=f"test_{donation.access_token[:16]}",
        url=reverse("funding_public:test_checkout", kwargs={"token": donation.access_token}),
    )
