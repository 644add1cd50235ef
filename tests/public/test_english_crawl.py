"""A crawl of the public English site on the seeded demo data (#19): no Chinese text
outside elements marked ``lang="zh-Hans"`` (Chinese originals and proper names without
an English version), English versions shown where organizations gave them."""

import re
from html.parser import HTMLParser
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command

# Han characters and the CJK punctuation / full-width forms that go with them.
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
TEXT_ATTRIBUTES = ("alt", "title", "aria-label", "placeholder")
SKIP = ("/en/admin", "/en/accounts/logout", "/en/api/")
MAX_PAGES = 120


class ChineseOutsideLang(HTMLParser):
    """Collects text (and readable attributes) with CJK characters whose nearest
    ``lang`` is not Chinese. ``<title>`` holds no markup and is left out; scripts and
    styles are not text."""

    def __init__(self):
        super().__init__()
        self.stack: list[tuple[str, str | None]] = []
        self.found: list[str] = []
        self.links: list[str] = []

    def _in_chinese(self, lang=None) -> bool:
        if lang is not None:
            return lang.lower().startswith("zh")
        for _tag, element_lang in reversed(self.stack):
            if element_lang is not None:
                return element_lang.lower().startswith("zh")
        return False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        lang = attributes.get("lang")
        if not self._in_chinese(lang):
            for name in TEXT_ATTRIBUTES:
                if CJK.search(attributes.get(name) or ""):
                    self.found.append(f"<{tag} {name}={attributes[name]!r}>")
        if tag not in VOID:
            self.stack.append((tag, lang))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        if self.stack and self.stack[-1][0] in ("script", "style", "title"):
            return
        if CJK.search(data) and not self._in_chinese():
            self.found.append(data.strip())


def _crawl(client) -> dict[str, tuple[list[str], str]]:
    """Every /en/ page reachable from /en/ by plain links (no query strings)."""
    pages: dict[str, tuple[list[str], str]] = {}
    queue, seen = ["/en/"], set()
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        assert response.status_code in (200, 301, 302, 404), (path, response.status_code)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        parser = ChineseOutsideLang()
        parser.feed(html)
        pages[path] = (parser.found, html)
        for href in parser.links:
            parts = urlsplit(href.replace("&amp;", "&"))
            if parts.netloc or parts.query or not parts.path.startswith("/en/"):
                continue
            if not parts.path.startswith(SKIP) and parts.path not in seen:
                queue.append(parts.path)
    return pages


@pytest.mark.django_db
def test_english_pages_show_no_unmarked_chinese_on_the_demo_site(client):
    call_command("seed_demo", stdout=StringIO())

    pages = _crawl(client)

    unmarked = {path: found for path, (found, _html) in pages.items() if found}
    assert unmarked == {}
    visited = set(pages)
    for path in ("/en/projects/", "/en/organizations/", "/en/needs/", "/en/calls/"):
        assert path in visited
    assert len([p for p in visited if p.startswith("/en/projects/project-")]) >= 6
    assert len([p for p in visited if p.startswith("/en/organizations/org-")]) >= 5
    assert len([p for p in visited if p.startswith("/en/needs/")]) >= 5
    # An English title the organization gave, and a Chinese original labelled as such.
    canteen = pages["/en/projects/project-1/"][1]
    assert "<h1>Warm meals at the seniors&#x27; canteen</h1>" in canteen
    governance = pages["/en/projects/project-4/"][1]
    assert (
        '<h1><span lang="zh-Hans">楼栋微自治试点</span> '
        '<small class="zh-original">Chinese original</small></h1>'
    ) in governance
    # Regions are named in English: the demo gives every region an English name.
    directory = pages["/en/projects/"][1]
    assert "Yuanling Subdistrict" in directory
    assert "园岭街道" not in directory
