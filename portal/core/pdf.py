"""The one place that talks to WeasyPrint (imported inside functions only).

Every report goes through :func:`render_pdf`:

- a shared A4 stylesheet (``portal/static/portal/pdf/base.css``: cover page, running
  header, "X / Y" footer, bookmarks, tables whose rows do not split and whose header
  repeats, CJK-aware line breaking);
- a bundled CJK font (``portal/static/portal/fonts/portal-cjk-gb2312.ttf``), a subset of
  WenQuanYi Micro Hei holding Latin, punctuation and the 6,763 GB 2312 hanzi, declared
  with ``@font-face``; characters outside it fall back to the system font
  ``settings.PDF_FONT_FAMILY``. See ``docs/reports.md`` for why (speed, determinism);
- a URL fetcher that serves only data: URIs and our own static files: the renderer never
  fetches a remote URL (a refused URL is logged and the render carries on);
- :func:`sanitize_html` for user-provided rich text before it reaches a template.
"""

from __future__ import annotations

import atexit
import functools
import logging
import threading
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.apps import apps
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

logger = logging.getLogger(__name__)

BASE_CSS = "portal/pdf/base.css"
BUNDLED_FONT = "portal/fonts/portal-cjk-gb2312.ttf"
BUNDLED_FONT_FAMILY = "Portal CJK"
SYSTEM_FONT_FILE = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"

# Tags and attributes user-provided rich text may keep. No <img>, no style, no event
# handlers: the PDF must not fetch anything and must look like the rest of the report.
ALLOWED_TAGS = {
    "p", "br", "strong", "b", "em", "i", "u", "s", "sub", "sup", "blockquote",
    "ul", "ol", "li", "h2", "h3", "h4", "a", "code", "pre", "hr",
    "table", "thead", "tbody", "tr", "th", "td", "caption",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


class RemoteFetchRefused(ValueError):
    """Raised by the fetcher for any URL outside data: URIs and our static files."""


def sanitize_html(html: str | None) -> SafeString:
    """Clean user-provided rich text for a report (or a web page).

    Guarantees: only :data:`ALLOWED_TAGS`/:data:`ALLOWED_ATTRIBUTES` survive, scripts and
    styles are removed with their content, links keep http(s)/mailto only and get
    ``rel="noopener noreferrer"``, images are dropped (nothing to fetch). Returns a
    ``SafeString`` so templates print it as is. ``None`` gives an empty string.
    """
    import nh3

    if not html:
        return mark_safe("")  # noqa: S308
    cleaned = nh3.clean(
        str(html),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
        clean_content_tags={"script", "style"},
    )
    return mark_safe(cleaned)  # noqa: S308 - nh3 output is safe by construction


def _static_roots() -> list[Path]:
    roots = [Path(settings.STATIC_ROOT)]
    roots += [Path(p if isinstance(p, str | Path) else p[1]) for p in settings.STATICFILES_DIRS]
    roots += [Path(app.path) / "static" for app in apps.get_app_configs()]
    return [root.resolve() for root in roots]


def is_fetch_allowed(url: str) -> bool:
    """True for data: URIs and file: URLs inside a static-files directory; else False."""
    parsed = urlparse(url)
    if parsed.scheme == "data":
        return True
    if parsed.scheme == "file":
        path = Path(unquote(parsed.path)).resolve()
        return any(path.is_relative_to(root) for root in _static_roots())
    return False


@functools.cache
def _fetcher_class():
    from weasyprint import URLFetcher

    class SafeURLFetcher(URLFetcher):
        """Serves data: and our static files; refuses (and records) everything else."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, allow_redirects=False, **kwargs)
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            if not is_fetch_allowed(url):
                self.refused.append(url)
                logger.warning("PDF renderer refused to fetch %s", url[:200])
                raise RemoteFetchRefused(f"refused to fetch {urlparse(url).scheme}: resource")
            return super().fetch(url, headers)

    return SafeURLFetcher


def safe_url_fetcher():
    """A new WeasyPrint URL fetcher that never leaves the machine."""
    return _fetcher_class()()


def bundled_font_path() -> Path | None:
    found = finders.find(BUNDLED_FONT)
    return Path(found) if found else None


def font_css(*, bundled_font: bool = True) -> str:
    """CSS choosing the report font: the bundled subset first, then the system CJK font."""
    families = [f'"{settings.PDF_FONT_FAMILY}"', '"Noto Sans CJK SC"', "sans-serif"]
    rules = ""
    path = bundled_font_path() if bundled_font else None
    if path is not None:
        rules = (
            f'@font-face {{ font-family: "{BUNDLED_FONT_FAMILY}"; src: url("{path.as_uri()}"); }}\n'
        )
        families.insert(0, f'"{BUNDLED_FONT_FAMILY}"')
    return rules + f"html {{ font-family: {', '.join(families)}; }}"


_local = threading.local()


def _prepared(bundled_font: bool):
    """Per thread and font choice: a FontConfiguration and the parsed shared stylesheets.

    Registering an ``@font-face`` copies the font to a temporary folder and rescans it
    with fontconfig, and parsing ``base.css`` costs ~0.1 s: both are done once per
    process (thread) instead of once per report. Stylesheets are immutable once parsed.
    """
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    cache = getattr(_local, "prepared", None)
    if cache is None:
        cache = _local.prepared = {}
    if bundled_font not in cache:
        fetcher = safe_url_fetcher()
        font_config = FontConfiguration()
        css = []
        css_path = finders.find(BASE_CSS)
        if css_path:
            css.append(CSS(filename=css_path, url_fetcher=fetcher, font_config=font_config))
        css.append(
            CSS(
                string=font_css(bundled_font=bundled_font),
                url_fetcher=fetcher,
                font_config=font_config,
            )
        )
        cache[bundled_font] = (font_config, css)
    return cache[bundled_font]


def forget_inherited_fonts() -> None:
    """Call in a forked child: keep using the parent's prepared fonts, but never let the
    child's exit delete the parent's temporary font folder (FontConfiguration.__del__)."""
    for font_config, _css in getattr(_local, "prepared", {}).values():
        font_config._folder = None


@atexit.register
def _release_fonts() -> None:
    # Drop cached configurations while the interpreter can still run their cleanup.
    getattr(_local, "prepared", {}).clear()


def render_pdf(
    html: str,
    *,
    stylesheets: Iterable[str] = (),
    bundled_font: bool = True,
    fetcher=None,
) -> bytes:
    """Render an HTML string (already escaped/sanitised by a template) to PDF bytes.

    ``stylesheets`` are extra CSS strings added after the base stylesheet. ``bundled_font``
    False uses only the system font (the benchmark's "naive" path). Fonts are subset and
    embedded, hinting dropped, images recompressed. Remote URLs are refused by the
    fetcher (pass your own ``safe_url_fetcher()`` to inspect ``.refused``).
    """
    from weasyprint import CSS, HTML

    fetcher = fetcher or safe_url_fetcher()
    font_config, shared_css = _prepared(bundled_font)
    css = shared_css + [
        CSS(string=extra, url_fetcher=fetcher, font_config=font_config) for extra in stylesheets
    ]
    document = HTML(string=html, url_fetcher=fetcher, base_url=None)
    return document.write_pdf(
        stylesheets=css,
        font_config=font_config,
        hinting=False,
        optimize_images=True,
        jpeg_quality=85,
        dpi=200,
    )


def render_template_pdf(template_name: str, context: dict, **kwargs) -> bytes:
    """Render a Django template (which extends ``pdf/base.html``) to PDF bytes."""
    return render_pdf(render_to_string(template_name, context), **kwargs)


def gb2312_hanzi() -> set[int]:
    """Code points of the 6,763 GB 2312 hanzi and its symbols (rows 0xA1-0xF7)."""
    chars = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.add(ord(bytes([high, low]).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return chars


BUNDLED_RANGES = [
    (0x20, 0x7E), (0xA0, 0x17F), (0x2000, 0x206F), (0x2100, 0x214F), (0x2150, 0x218F),
    (0x2190, 0x21FF), (0x2460, 0x24FF), (0x25A0, 0x25FF), (0x3000, 0x303F), (0xFF00, 0xFFEF),
]  # fmt: skip


def _rename_font(font) -> None:
    """Give the subset its own family name so fontconfig never confuses it with the
    complete system WenQuanYi Micro Hei (used as the fallback for rarer characters)."""
    names = {
        1: BUNDLED_FONT_FAMILY,
        3: "PortalCJK-Regular-GB2312-subset",
        4: f"{BUNDLED_FONT_FAMILY} Regular",
        6: "PortalCJK-Regular",
        16: BUNDLED_FONT_FAMILY,
    }
    table = font["name"]
    table.names = [n for n in table.names if n.nameID not in {*names, 17, 18}]
    for name_id, value in names.items():
        table.setName(value, name_id, 3, 1, 0x409)
        table.setName(value, name_id, 1, 0, 0)
    table.setName(
        "Subset of WenQuanYi Micro Hei 0.2.0-beta (Apache-2.0), renamed; see LICENSE.txt",
        5,
        3,
        1,
        0x409,
    )


def build_bundled_font(
    source: str = SYSTEM_FONT_FILE, target: Path | None = None, font_number: int = 0
) -> Path:
    """(Re)build the bundled subset font from WenQuanYi Micro Hei (Apache-2.0).

    Keeps Latin, punctuation, symbols and GB 2312; drops hinting and the layout tables
    WeasyPrint drops anyway (GSUB/GPOS). Deterministic for a given source font.
    """
    from fontTools import subset
    from fontTools.ttLib import TTFont

    target = target or Path(apps.get_app_config("portal").path) / "static" / BUNDLED_FONT
    unicodes = gb2312_hanzi()
    for start, end in BUNDLED_RANGES:
        unicodes.update(range(start, end + 1))
    options = subset.Options()
    options.hinting = False
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.drop_tables += ["GSUB", "GPOS", "FFTM"]
    font = TTFont(source, fontNumber=font_number)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=unicodes)
    subsetter.subset(font)
    _rename_font(font)
    target.parent.mkdir(parents=True, exist_ok=True)
    font.recalcTimestamp = False  # byte-identical rebuilds
    font.save(str(target))
    return target
