"""Wagtail hooks of the portal app: the anonymous page cache for Wagtail pages
(``portal.core.cache``) and the staff dashboard panels (``portal.dashboard``)."""

from urllib.parse import quote

from django.utils.html import escape
from wagtail import hooks

from portal.consent import register_log_actions as register_consent_log_actions
from portal.core.cache import cache_wagtail_pages
from portal.dashboard import add_dashboard_panels
from portal.privacy import register_log_actions as register_privacy_log_actions

# Home, call index and call pages are served to anonymous visitors from the page cache.
hooks.register(
    "on_serve_page",
    cache_wagtail_pages("portal.homepage", "projects.callindexpage", "projects.callpage"),
)
hooks.register("construct_homepage_panels", add_dashboard_panels)
hooks.register("register_log_actions", register_privacy_log_actions)
hooks.register("register_log_actions", register_consent_log_actions)

# PDF report admin (views, menu item, call/application buttons): see portal/report_hooks.py.
import portal.report_hooks  # noqa: E402,F401

# Avatars drawn locally: Gravatar is blocked by the site's CSP and unreachable from
# mainland China, so the admin showed a broken image on every page.
AVATAR_COLOURS = ("#1d4e89", "#7a2e2e", "#2f5d3a", "#5b3a82", "#6b4a12", "#0f5c5c")


def initials_avatar_url(user, size):
    """A data: URL of an SVG disc with the user's initial (surname first, as names are
    written in Chinese), or ``None`` for a user who uploaded their own avatar and for
    log entries written by the system (no user: Wagtail shows its default avatar)."""
    if user is None:
        return None
    profile = getattr(user, "wagtail_userprofile", None)
    if profile is not None and profile.avatar:
        return None
    name = (user.last_name or user.first_name or user.get_username() or "?").strip()
    initial = escape(name[:1].upper() or "?")
    colour = AVATAR_COLOURS[(user.pk or 0) % len(AVATAR_COLOURS)]
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 100 100"><circle cx="50" cy="50" r="50" fill="{colour}"/>'
        f'<text x="50" y="50" dy=".35em" text-anchor="middle" fill="#fff" '
        f'font-family="sans-serif" font-size="52">{initial}</text></svg>'
    )
    return "data:image/svg+xml," + quote(svg)


hooks.register("get_avatar_url", initials_avatar_url)
