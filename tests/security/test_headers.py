"""Security headers on every kind of public page, and production cookie flags.

``manage.py check --deploy`` under production settings is asserted clean in
``tests/portal/test_settings.py::test_production_passes_check_deploy``; this module
reuses its environment to read the cookie settings production really ends up with.
"""

import json

import pytest

from tests.portal.test_settings import GOOD_ENV, run_manage

from .world import build_world

pytestmark = pytest.mark.django_db


def _sample_urls(world):
    from portal.models import NewsPage

    news = NewsPage.objects.live().first()
    return {
        "home": "/",
        "home (en)": "/en/",
        "call": world.call.url,
        "project": world.project.get_absolute_url(),
        "directory": "/projects/",
        "organization directory": "/organizations/",
        "organization profile": world.org.get_absolute_url(),
        "news": news.url,
        "needs": "/needs/",
        "stats": "/stats/",
        "api": "/api/v1/projects",
        "api schema": "/api/v1/openapi.json",
        "donate": f"/donate/{world.project.slug}/",
        "login": "/accounts/login/",
        "not found": "/no-such-page/",
    }


def _csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def test_every_public_page_type_sends_security_headers(site_pages, client):
    world = build_world()
    missing = []

    for kind, url in _sample_urls(world).items():
        response = client.get(url)
        expected_status = 404 if kind == "not found" else 200
        assert response.status_code == expected_status, (kind, url)
        csp = _csp_directives(response.get("Content-Security-Policy", ""))
        checks = {
            "csp default-src": csp.get("default-src") == ["'self'"],
            "csp frame-ancestors": csp.get("frame-ancestors") == ["'self'"],
            "csp object-src": csp.get("object-src") == ["'none'"],
            "csp base-uri": csp.get("base-uri") == ["'self'"],
            "nosniff": response.get("X-Content-Type-Options") == "nosniff",
            "referrer": response.get("Referrer-Policy") == "same-origin",
            "frame-options": response.get("X-Frame-Options") == "SAMEORIGIN",
            "coop": response.get("Cross-Origin-Opener-Policy") == "same-origin",
        }
        missing += [(kind, name) for name, ok in checks.items() if not ok]

    assert missing == []


def test_admin_pages_send_the_same_headers(site_pages, client):
    from tests.factories.organizations import UserFactory

    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))

    response = client.get("/admin/")

    assert response.status_code == 200
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_production_cookie_and_transport_settings():
    code = (
        "import json; from django.conf import settings as s; print(json.dumps({k: "
        "getattr(s, k) for k in ['SESSION_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', "
        "'SESSION_COOKIE_SAMESITE', 'CSRF_COOKIE_SECURE', 'CSRF_COOKIE_SAMESITE', "
        "'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', 'SECURE_CONTENT_TYPE_NOSNIFF', "
        "'SECURE_CROSS_ORIGIN_OPENER_POLICY', 'MFA_REQUIRED_FOR_STAFF', 'DEBUG']}))"
    )

    result = run_manage(GOOD_ENV, "shell", "-c", code)

    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == {
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_SAMESITE": "Lax",
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_CROSS_ORIGIN_OPENER_POLICY": "same-origin",
        "MFA_REQUIRED_FOR_STAFF": True,
        "DEBUG": False,
    }


def test_session_and_csrf_cookies_carry_secure_flags_when_set(client, settings):
    from tests.factories.organizations import UserFactory

    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    UserFactory(username="cookie")

    page = client.get("/accounts/login/")
    response = client.post("/accounts/login/", {"login": "cookie", "password": "pass-word-123"})

    session = response.cookies["sessionid"]
    csrf = page.cookies["csrftoken"]
    assert response.status_code == 302
    assert (session["secure"], session["httponly"], session["samesite"]) == (True, True, "Lax")
    assert (csrf["secure"], csrf["samesite"]) == (True, "Lax")
