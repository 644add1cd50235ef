"""The site shell as a person uses it: keyboard, language switch, phone width."""

import pytest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def demo_site(transactional_db):
    import random

    from portal.demo import DemoContext, seed_site

    ctx = DemoContext(size="small", rng=random.Random(1), log=lambda msg: None)
    seed_site(ctx)
    return ctx.shared["homes"]


def test_skip_link_is_first_tab_stop_and_moves_focus_to_main(page, live_server, demo_site):
    page.goto(live_server.url + "/")

    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    page.keyboard.press("Enter")

    assert focused == "跳到主要内容"
    assert page.evaluate("document.activeElement.id") == "main"


def test_language_switch_by_keyboard_keeps_the_page(page, live_server, demo_site):
    page.goto(live_server.url + "/about/")

    page.get_by_role("link", name="English").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/en/about/")

    assert page.locator("h1").inner_text() == "About"
    assert page.evaluate("document.documentElement.lang") == "en"


def test_large_text_mode_enlarges_the_base_font(page, live_server, demo_site):
    page.goto(live_server.url + "/")
    before = page.evaluate("getComputedStyle(document.documentElement).fontSize")

    page.get_by_role("link", name="大字模式").click()
    page.wait_for_load_state()
    after = page.evaluate("getComputedStyle(document.documentElement).fontSize")

    assert (before, after) == ("16px", "20px")


def test_home_fits_a_phone_without_horizontal_scrolling(phone, live_server, demo_site):
    phone.goto(live_server.url + "/")

    scroll_width = phone.evaluate("document.documentElement.scrollWidth")

    assert scroll_width <= 375
    assert phone.get_by_role("search").is_visible()


def test_large_text_home_fits_a_phone_without_horizontal_scrolling(phone, live_server, demo_site):
    """Older users on phones: 125 % text must wrap the menu, not widen the page."""
    phone.goto(live_server.url + "/a11y/large-text/?next=/")

    scroll_width = phone.evaluate("document.documentElement.scrollWidth")

    assert phone.evaluate("getComputedStyle(document.documentElement).fontSize") == "20px"
    assert scroll_width <= 375


SHELL_PATHS = ["/", "/en/", "/about/", "/news/", "/en/news/news-1/", "/search/?q=公益", "/nope/"]


def test_shell_pages_have_no_serious_accessibility_violations(page, live_server, demo_site):
    from tests.browser.conftest import serious_violations

    found = {}
    for path in SHELL_PATHS:
        page.goto(live_server.url + path)
        found[path] = serious_violations(page)

    assert found == {path: [] for path in SHELL_PATHS}
