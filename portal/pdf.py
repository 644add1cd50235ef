"""The one place that talks to WeasyPrint.

Every report goes through :func:`render_pdf`: a shared A4 stylesheet, CJK fonts from
the system (installed by ``make``), and a URL fetcher that only serves our own static
files and data: URIs — the renderer never fetches a remote URL.
"""

from pathlib import Path
from urllib.parse import urlparse

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

BASE_CSS = "portal/pdf/base.css"


class RemoteFetchRefused(ValueError):
    """Raised (and logged by WeasyPrint) for any URL outside our static files."""


def _safe_url_fetcher(url: str, timeout: int = 10, ssl_context=None):
    from weasyprint.urls import default_url_fetcher

    parsed = urlparse(url)
    if parsed.scheme == "data":
        return default_url_fetcher(url)
    if parsed.scheme == "file":
        path = Path(parsed.path).resolve()
        allowed = [Path(p).resolve() for p in finders.searched_locations] + [
            Path(settings.STATIC_ROOT).resolve()
        ]
        if any(path.is_relative_to(root) for root in allowed):
            return default_url_fetcher(url)
    raise RemoteFetchRefused(f"refused to fetch {parsed.scheme}:// resource")


def font_css() -> str:
    family = settings.PDF_FONT_FAMILY
    return f'html {{ font-family: "{family}", sans-serif; }}'


def render_pdf(html: str) -> bytes:
    """Render an HTML string (already escaped/sanitised by a template) to PDF bytes."""
    from weasyprint import CSS, HTML

    css_path = finders.find(BASE_CSS)
    stylesheets = [CSS(string=font_css())]
    if css_path:
        stylesheets.insert(0, CSS(filename=css_path, url_fetcher=_safe_url_fetcher))
    document = HTML(string=html, url_fetcher=_safe_url_fetcher, base_url=None)
    return document.write_pdf(stylesheets=stylesheets)


def render_template_pdf(template_name: str, context: dict) -> bytes:
    """Render a Django template (which extends ``pdf/base.html``) to PDF bytes."""
    return render_pdf(render_to_string(template_name, context))
