"""Machinery for the permission matrix: walk the URLconf, build concrete URLs, classify
responses. The expectations themselves live in ``test_permission_matrix.py``."""

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

# Outcome classes, one letter each so the expectation table stays readable.
OK = "O"  # 2xx
LOGIN = "L"  # redirect to the login page
DENIED = "D"  # 403, or the admin's "no permission" redirect (to /me/ or /admin/)
NOT_FOUND = "N"  # 404
METHOD = "M"  # 405: the URL only answers POST (or another method)
REDIRECT = "R"  # any other redirect (e.g. a POST-only view sending GET back)


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name", or the route pattern when the view has no name
    route: str  # the full pattern text
    pattern: URLPattern

    @property
    def has_args(self) -> bool:
        return bool(self.pattern.pattern.converters) or bool(
            re.search(r"\(", str(self.pattern.pattern))
        )


def routes() -> list[Route]:
    """Every URL pattern of the project, depth first, with its namespaced name."""
    found: list[Route] = []

    def walk(patterns, prefix="", namespace=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = namespace + (f"{p.namespace}:" if p.namespace else "")
                walk(p.url_patterns, prefix + str(p.pattern), ns)
            else:
                route = prefix + str(p.pattern)
                name = namespace + p.name if p.name else route
                found.append(Route(name=name, route=route, pattern=p))

    walk(get_resolver().url_patterns)
    return found


def classify(response) -> str:
    status = response.status_code
    if 200 <= status < 300:
        return OK
    if status in (301, 302, 303, 307, 308):
        location = response["Location"].split("?")[0]
        if re.search(r"(^|/)accounts/login/$", location) or location.endswith("/_util/login/"):
            return LOGIN
        if location in ("/me/", "/en/me/", "/admin/"):
            return DENIED
        return REDIRECT
    if status == 403:
        return DENIED
    if status == 404:
        return NOT_FOUND
    if status == 405:
        return METHOD
    raise AssertionError(f"unexpected status {status}")


def view_model(route: Route):
    """The model a Wagtail class-based admin view works on, if it says."""
    callback = route.pattern.callback
    initkwargs = getattr(callback, "view_initkwargs", {}) or {}
    model = initkwargs.get("model")
    if model is None:
        view_class = getattr(callback, "view_class", None)
        model = getattr(view_class, "model", None)
    return model
