"""The site's Content-Security-Policy (django-csp): strict everywhere, relaxed for the
Wagtail admin, and a decorator for the few pages that carry inline chart styles."""

from csp.decorators import csp_update
from csp.middleware import CSPMiddleware
from django.conf import settings
from django.urls import reverse

# Pages that embed pygal charts (inline SVG with the chart's own <style> block and style
# attributes) add 'unsafe-inline' to style-src only; scripts stay 'self'. Public pages
# are cached server-side (portal.core.cache), so per-request nonces cannot be used there.
INLINE_STYLES = {"style-src": ["'unsafe-inline'"]}
allow_inline_styles = csp_update(INLINE_STYLES)


class PortalCSPMiddleware(CSPMiddleware):
    """django-csp with a strict policy everywhere (``CONTENT_SECURITY_POLICY``: no
    'unsafe-inline') except the Wagtail admin, which ships inline scripts and styles:
    under the admin prefix the directives in ``CONTENT_SECURITY_POLICY_ADMIN`` replace
    the strict ones (a view's own ``csp_replace`` still wins)."""

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and request.path_info.startswith(reverse("wagtailadmin_home")):
            admin = getattr(settings, "CONTENT_SECURITY_POLICY_ADMIN", {})
            parts.replace = {**admin, **(parts.replace or {})}
        return parts
