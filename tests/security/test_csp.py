"""Content-Security-Policy: strict on the public site (no 'unsafe-inline' for scripts;
for styles only where a pygal chart carries its own <style>), relaxed for the Wagtail
admin, which ships inline scripts and styles."""

import re

import pytest

from .mfa import login_with_mfa
from .test_headers import _csp_directives, _sample_urls
from .world import build_world

pytestmark = pytest.mark.django_db

# Pages whose pygal charts need inline styles (scripts stay strict there too).
CHART_PAGES = {"stats"}

_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.DOTALL | re.IGNORECASE)
_DATA_TYPES = ("application/json", "application/ld+json")
_EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)


def _inline_scripts(html: str) -> list[str]:
    """Executable <script> elements without a src (JSON data blocks do not run)."""
    found = []
    for attrs, body in _SCRIPT.findall(html):
        if "src=" in attrs:
            continue
        if any(kind in attrs for kind in _DATA_TYPES):
            continue
        found.append(f"<script{attrs}>{body[:80]}")
    return found


def _inline_styles(html: str) -> list[str]:
    return re.findall(r"<style\b[^>]*>|\sstyle=\"[^\"]*\"", html)


@pytest.fixture
def public_urls(site_pages):
    world = build_world()
    urls = _sample_urls(world)
    urls.pop("not found")
    urls["search"] = "/search/?q=%E5%BD%A9%E8%99%B9"
    urls["need"] = world.need.get_absolute_url()
    urls["organization directory (en)"] = "/en/organizations/"
    urls["signup"] = "/accounts/signup/"
    urls["not found"] = "/no-such-page/"
    return urls


def test_public_pages_send_no_unsafe_inline_for_scripts(client, public_urls):
    wrong = {}
    for kind, url in public_urls.items():
        csp = _csp_directives(client.get(url).get("Content-Security-Policy", ""))
        script_src, style_src = csp.get("script-src"), csp.get("style-src")
        expected_style = ["'self'", "'unsafe-inline'"] if kind in CHART_PAGES else ["'self'"]
        if script_src != ["'self'"] or style_src != expected_style:
            wrong[kind] = (script_src, style_src)

    assert wrong == {}


def test_public_pages_have_no_inline_script_or_style(client, public_urls):
    wrong = {}
    for kind, url in public_urls.items():
        response = client.get(url)
        if "text/html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        found = _inline_scripts(html) + _EVENT_HANDLER.findall(html)
        if kind not in CHART_PAGES:
            found += _inline_styles(html)
        if found:
            wrong[kind] = found[:3]

    assert wrong == {}


def test_the_html_checks_catch_inline_code():
    assert _inline_scripts('<script>alert(1)</script><script src="/s.js"></script>') == [
        "<script>alert(1)"
    ]
    assert _inline_scripts('<script type="application/json" id="x">{}</script>') == []
    assert _EVENT_HANDLER.findall('<a href="#" onclick="go()">')
    assert _inline_styles('<p style="color:red"><style>p{}</style>') == [
        ' style="color:red"',
        "<style>",
    ]


def test_stats_page_relaxes_styles_only_for_its_charts(client, site_pages):
    response = client.get("/stats/")
    again = client.get("/stats/")  # from the page cache

    for answer in (response, again):
        csp = _csp_directives(answer["Content-Security-Policy"])
        assert csp["script-src"] == ["'self'"]
        assert csp["style-src"] == ["'self'", "'unsafe-inline'"]
    assert _inline_scripts(response.content.decode()) == []


def test_login_page_for_the_admin_renders_under_the_strict_policy(client, site_pages):
    response = client.get("/admin/", follow=True)

    csp = _csp_directives(response["Content-Security-Policy"])
    assert response.redirect_chain[-1][0].startswith("/accounts/login/")
    assert response.status_code == 200
    assert csp["script-src"] == ["'self'"]
    assert _inline_scripts(response.content.decode()) == []


def test_admin_keeps_the_relaxed_policy(client, site_pages):
    world = build_world()
    login_with_mfa(client, world.users["superuser"])

    urls = ("/admin/", "/admin/pages/", "/admin/reports/site-history/")
    pages = [client.get(url) for url in urls]

    for response in pages:
        csp = _csp_directives(response["Content-Security-Policy"])
        assert response.status_code == 200
        assert csp["script-src"] == ["'self'", "'unsafe-inline'"]
        assert csp["style-src"] == ["'self'", "'unsafe-inline'"]
        assert csp["default-src"] == ["'self'"]
        assert csp["frame-ancestors"] == ["'self'"]


def test_admin_redirects_keep_the_strict_policy_outside_the_admin(client, site_pages):
    """Only responses under /admin/ are relaxed; the page the admin sends to is not."""
    world = build_world()
    client.force_login(world.users["superuser"])  # no code in this session

    stopped = client.get("/admin/")
    reauth = client.get(stopped["Location"])

    assert reauth.status_code == 200
    assert _csp_directives(reauth["Content-Security-Policy"])["script-src"] == ["'self'"]
    assert _inline_scripts(reauth.content.decode()) == []
