"""Headless Chromium (Debian's, installed by `make`) driven by Playwright."""

import os
import shutil

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    for candidate in ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"):
        if shutil.which(candidate):
            return candidate
    raise RuntimeError(
        "Chromium not found: run `make test`, which installs it (scripts/sysdeps.sh)"
    )


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls made by
    # fixtures here are still synchronous and safe.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


def phone_page(browser, width: int = 375, height: int = 740, scale: int = 2):
    """A page in a new phone-sized browser context (close its ``context`` when done)."""
    context = browser.new_context(
        viewport={"width": width, "height": height}, device_scale_factor=scale, is_mobile=True
    )
    return context.new_page()


@pytest.fixture
def phone(browser):
    page = phone_page(browser)
    yield page
    page.context.close()


@pytest.fixture
def phone_390(browser):
    """A 390 px wide phone (iPhone 12–15), the width the charts were checked at."""
    page = phone_page(browser, 390, 844, 3)
    yield page
    page.context.close()


WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def serious_violations(page) -> list[str]:
    """Run axe-core (bundled by axe-playwright-python) on the page; return the serious
    and critical WCAG 2.1 A/AA violations as readable lines."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=WCAG_AA)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
