"""Wagtail hooks of the portal app: the anonymous page cache for Wagtail pages
(``portal.core.cache``) and the staff dashboard panels (``portal.dashboard``)."""

from wagtail import hooks

from portal.core.cache import cache_wagtail_pages
from portal.dashboard import add_dashboard_panels
from portal.privacy import register_log_actions as register_privacy_log_actions

hooks.register("on_serve_page", cache_wagtail_pages)
hooks.register("construct_homepage_panels", add_dashboard_panels)
hooks.register("register_log_actions", register_privacy_log_actions)

# PDF report admin (views, menu item, call/application buttons): see portal/report_hooks.py.
import portal.report_hooks  # noqa: E402,F401
