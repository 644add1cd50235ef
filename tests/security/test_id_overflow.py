"""Every URL with an id or slug parameter answers an id beyond 64 bits without a 500
(#14 item 9): path ids use the bounded ``<id:…>`` converter (portal/core/ids.py)."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern

from portal.core.ids import IdConverter, is_out_of_range
from tests.factories.organizations import UserFactory

HUGE = "99999999999999999999"
# Known values for parameters that select a kind of thing rather than a row, so that the
# id after them is reached.
KNOWN = {"language": "zh-hans", "kind": "project", "action_name": "publish"}
_TOKEN = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")
_REGEX_GROUP = re.compile(r"\((?:\?P<(?P<name>\w+)>)?(?P<body>[^()]*)\)")


def _routes(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        piece = _piece(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _routes(entry, prefix + piece)
        elif isinstance(entry, URLPattern) and ("<" in piece or HUGE in piece):
            yield prefix + piece


def _piece(pattern) -> str:
    text = str(pattern)
    if isinstance(pattern, RegexPattern):
        text = text.removeprefix("^").removesuffix("$").replace("\\.", ".")
        text = _REGEX_GROUP.sub(lambda m: KNOWN.get(m["name"], HUGE), text)
    return _TOKEN.sub(lambda m: KNOWN.get(m["name"], HUGE), text)


def test_project_routes_use_the_bounded_id_converter():
    """Our URL patterns take ids with ``<id:…>``, never Django's unbounded ``<int:…>``."""
    from django.conf import settings

    unbounded = [
        f"{path.relative_to(settings.BASE_DIR)}:{number}"
        for app in ("portal", "organizations", "projects", "funding")
        for path in sorted((settings.BASE_DIR / app).rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "<int:" in line
    ]

    assert unbounded == []


def test_id_converter_refuses_beyond_64_bits():
    converter = IdConverter()

    assert converter.to_python("9223372036854775807") == 2**63 - 1
    with pytest.raises(ValueError):
        converter.to_python("9223372036854775808")
    assert re.fullmatch(converter.regex, HUGE) is None
    assert (is_out_of_range(HUGE), is_out_of_range("-" + HUGE), is_out_of_range("12")) == (
        True,
        True,
        False,
    )


@pytest.mark.parametrize("role", ["anonymous", "superuser"])
def test_no_url_answers_500_to_an_id_beyond_64_bits(client, site_pages, role):
    if role == "superuser":
        client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    client.raise_request_exception = False

    failures = []
    for url in sorted(set(_routes())):
        response = client.get("/" + url)
        if response.status_code >= 500:
            failures.append(f"{response.status_code} /{url}")

    assert failures == []
