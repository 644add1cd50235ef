"""Public pages under the strict Content-Security-Policy in a real browser: Chromium
reports every blocked inline script, inline style or event handler on the console
("Refused to execute/apply ..."), so a page that needs 'unsafe-inline' fails here."""

import pytest

from tests.browser.test_public_pages import public_site  # noqa: F401 - fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _violations(page, url) -> list[str]:
    messages = []
    page.on("console", lambda msg: messages.append(msg.text))
    page.on("pageerror", lambda exc: messages.append(str(exc)))
    response = page.goto(url)
    page.wait_for_load_state("networkidle")
    assert response.status == 200, url
    return [m for m in messages if "Content Security Policy" in m or "Refused to" in m]


def test_public_pages_run_without_csp_violations(page, live_server, public_site):  # noqa: F811
    project = public_site["projects"][0]
    paths = [
        "/",
        "/en/",
        "/projects/",
        project.get_absolute_url(),
        f"/donate/{project.slug}/",
        public_site["call"].url,
        "/organizations/",
        "/stats/",
        "/needs/",
        "/accounts/login/",
        "/search/?q=助老",
    ]
    found = {}

    for path in paths:
        strict = page.context.new_page()
        violations = _violations(strict, live_server.url + path)
        styled = strict.evaluate("() => document.querySelector('link[rel=stylesheet]') !== null")
        strict.close()
        if violations or not styled:
            found[path] = violations or ["site stylesheet missing"]

    assert found == {}


def test_an_inline_script_would_be_reported(page, live_server, public_site):  # noqa: F811
    """The check above can fail: an inline script added to a public page is refused and
    reported on the console."""
    messages = []
    page.on("console", lambda msg: messages.append(msg.text))
    page.goto(live_server.url + "/projects/")
    page.evaluate("""() => { const s = document.createElement('script');
        s.textContent = 'window.__ran = true'; document.body.appendChild(s); }""")
    page.wait_for_timeout(200)

    assert page.evaluate("() => window.__ran === true") is False
    assert any("Content Security Policy" in m for m in messages)


def test_editor_userbar_on_public_pages_runs_without_csp_violations(page, live_server, public_site):  # noqa: F811
    """Signed-in editors get Wagtail's userbar on public pages (strict policy there)."""
    from tests.factories.organizations import UserFactory

    UserFactory(username="editor-root", is_staff=True, is_superuser=True)
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=login]", "editor-root")
    page.fill("input[name=password]", "pass-word-123")
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url("**/me/**")

    violations = _violations(page, live_server.url + "/")

    assert page.locator("wagtail-userbar").count() == 1
    assert violations == []
