"""Server-side charts as SVG strings (pygal), for web pages and PDF reports alike.

Every chart:
- uses a print-friendly style (white background, dark text, a palette that stays
  distinguishable in greyscale) and the report font family, so CJK labels render in PDFs;
- carries no JavaScript (pygal's tooltip script is a CDN URL: we never reference it);
- is accessible inline: ``role="img"`` with ``aria-labelledby`` pointing at a ``<title>``
  and a ``<desc>`` that spells out every value, so a screen reader (or pypdf text
  extraction) gets the data without the picture.

Return values are ``SafeString`` and can be printed directly in a template
(``{{ chart }}``); labels are XML-escaped by pygal.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from html import escape

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

FONT_FAMILY = '"Portal CJK", "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif'
# Dark-to-light alternation so neighbouring series differ in greyscale print as well.
PALETTE = ("#7d1510", "#2f6f9f", "#d9822b", "#3d7a3a", "#6b4c9a", "#8c8c8c")

Number = int | float
Series = Mapping[str, Sequence[Number | None]] | Sequence[Number | None]


def _style():
    from pygal.style import Style

    return Style(
        background="white",
        plot_background="white",
        foreground="#1f2328",
        foreground_strong="#1f2328",
        foreground_subtle="#9a9a9a",
        opacity="0.6",
        opacity_hover="0.6",
        transition="0ms",
        colors=PALETTE,
        font_family=FONT_FAMILY,
        label_font_family=FONT_FAMILY,
        major_label_font_family=FONT_FAMILY,
        value_font_family=FONT_FAMILY,
        value_label_font_family=FONT_FAMILY,
        title_font_family=FONT_FAMILY,
        legend_font_family=FONT_FAMILY,
        tooltip_font_family=FONT_FAMILY,
        no_data_font_family=FONT_FAMILY,
        title_font_size=15,
        label_font_size=11,
        major_label_font_size=11,
        legend_font_size=11,
        value_font_size=11,
        value_label_font_size=11,
        no_data_font_size=18,
        stroke_opacity="1",
        stroke_opacity_hover="1",
    )


def _config(title: str, width: int, height: int, **extra) -> dict:
    return {
        "title": title,
        "style": _style(),
        "width": width,
        "height": height,
        "js": [],
        "disable_xml_declaration": True,
        "explicit_size": False,
        "legend_at_bottom": True,
        "truncate_label": -1,
        "truncate_legend": -1,
        "no_data_text": _("No data"),
        "pretty_print": False,
        **extra,
    }


def _as_series(series: Series, default_name: str) -> dict[str, list[Number | None]]:
    if isinstance(series, Mapping):
        return {str(name): list(values) for name, values in series.items()}
    return {default_name: list(series)}


def _fmt(value: Number | None, formatter: Callable[[Number], str] | None) -> str:
    if value is None:
        return "—"
    if formatter is not None:
        return formatter(value)
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}"
    return f"{int(value)}"


def describe(
    labels: Sequence[str],
    series: Mapping[str, Sequence[Number | None]],
    formatter: Callable[[Number], str] | None = None,
) -> str:
    """A plain-text rendering of the data: ``Series: label 1 = v1; label 2 = v2.``"""
    if not labels or not any(any(v is not None for v in vs) for vs in series.values()):
        return _("No data")
    parts = []
    for name, values in series.items():
        pairs = "; ".join(
            f"{label} = {_fmt(value, formatter)}"
            for label, value in zip(labels, values, strict=False)
        )
        parts.append(f"{name}: {pairs}." if len(series) > 1 or name else f"{pairs}.")
    return " ".join(parts)


_SVG_OPEN = re.compile(r"<svg\b([^>]*)>")


# Physical size of one SVG unit when printed: every chart gets the same text size on
# paper (11 px labels ≈ 7 pt) whatever its canvas width; CSS max-width caps it.
MM_PER_UNIT = 0.22


def _accessible(svg: str, title: str, description: str, size: tuple[int, int]) -> SafeString:
    """Add role/aria attributes, a printed size and a <title>/<desc> pair."""
    match = _SVG_OPEN.search(svg)
    chart_id = re.search(r'id="([^"]+)"', match.group(1))
    base_id = chart_id.group(1) if chart_id else "chart"
    width, height = (round(v * MM_PER_UNIT) for v in size)
    head = (
        f'<svg{match.group(1)} width="{width}mm" height="{height}mm" role="img" '
        f'aria-labelledby="{base_id}-title {base_id}-desc">'
        f'<title id="{base_id}-title">{escape(title)}</title>'
        f'<desc id="{base_id}-desc">{escape(description)}</desc>'
    )
    # pygal's comments are noise.
    body = re.sub(r"<!--.*?-->", "", svg[match.end() :])
    # pygal always emits a config <script> for its tooltips; charts here are static.
    body = re.sub(r"<script\b.*?</script>", "", body, flags=re.DOTALL)
    return mark_safe(head + body)  # noqa: S308 - pygal escapes labels; ours via html.escape


def _label_width(text: str, font_size: int = 11) -> float:
    """Rough rendered width in px: CJK characters are square, Latin about 0.6 em."""
    return sum(font_size if ord(c) >= 0x2E80 else font_size * 0.6 for c in text)


def _rotation(labels: Sequence[str], width: int) -> int:
    """Slant x labels only when they would not fit side by side."""
    slot = (width - 80) / max(len(labels), 1)
    return 0 if all(_label_width(str(label)) < slot - 6 for label in labels) else 30


_RADAR_LABEL = re.compile(
    r'<text x="([-\d.]+)" y="([-\d.]+)" class="" transform="rotate\([^)]*\)">'
)


def _upright_radar_labels(svg: str, centre: tuple[float, float]) -> str:
    """pygal turns radar labels tangentially (sideways text); set them upright, anchored
    away from the centre and nudged clear of the axis lines, so they read horizontally."""
    centre_x, centre_y = centre

    def fix(match: re.Match) -> str:
        x, y = float(match.group(1)), float(match.group(2))
        if abs(x - centre_x) < 1:
            anchor, y = "middle", (y - 6 if y < centre_y else y + 4)
        elif x < centre_x:
            anchor, x, y = "end", x - 8, y + 4
        else:
            anchor, x, y = "start", x + 8, y + 4
        # Inline style: pygal's stylesheet sets text-anchor on axis text, beating attributes.
        return f'<text x="{x:.1f}" y="{y:.1f}" class="" style="text-anchor:{anchor}">'

    return _RADAR_LABEL.sub(fix, svg)


def _render(chart, title: str, description: str) -> SafeString:
    size = (chart.config.width, chart.config.height)
    return _accessible(chart.render(is_unicode=True), title, description, size)


def bar_chart(
    *,
    title: str,
    labels: Sequence[str],
    series: Series,
    max_value: Number | None = None,
    horizontal: bool = False,
    value_formatter: Callable[[Number], str] | None = None,
    width: int = 640,
    height: int = 320,
) -> SafeString:
    """Bar chart (one bar per label and series), values printed on the bars."""
    import pygal

    data = _as_series(series, "")
    cls = pygal.HorizontalBar if horizontal else pygal.Bar
    extra = {"range": (0, max_value)} if max_value is not None else {}
    chart = cls(
        **_config(title, width, height, **extra),
        print_values=True,
        show_legend=len(data) > 1,
        formatter=value_formatter or (lambda v: _fmt(v, None)),
        x_label_rotation=_rotation(labels, width) if not horizontal else 0,
    )
    chart.x_labels = [str(label) for label in labels]
    ticks = _integer_ticks(data, max_value)
    if ticks:
        chart.y_labels = ticks
    for name, values in data.items():
        chart.add(name, values)
    return _render(chart, title, describe(labels, data, value_formatter))


def _integer_ticks(
    data: Mapping[str, Sequence[Number | None]], max_value: Number | None
) -> list[int] | None:
    """Whole-number axis ticks for counts (pygal would label 0, 0.1, … 1 for a count of
    one); None when any value is fractional."""
    values = [v for vs in data.values() for v in vs if v is not None]
    if not values or not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return None
    top = int(max_value if max_value is not None else max(max(values), 1))
    step = max(1, -(-top // 10))
    return list(range(0, top + step, step))


def radar_chart(
    *,
    title: str,
    dimensions: Sequence[str],
    series: Series,
    max_value: Number = 100,
    value_formatter: Callable[[Number], str] | None = None,
    width: int = 520,
    height: int = 420,
) -> SafeString:
    """Radar chart, e.g. rubric dimensions as percentages of their maximum."""
    import pygal

    data = _as_series(series, "")
    side = int(max([_label_width(str(d)) for d in dimensions] + [40])) + 24  # + nudge, axis
    # Keep the web square whatever the label length: widen the canvas, not shrink the plot.
    width = max(width, height - 80 + 2 * side)
    chart = pygal.Radar(
        **_config(title, width, height, range=(0, max_value)),
        fill=True,
        dots_size=3,
        margin_left=side,
        margin_right=side,
        show_legend=len(data) > 1,
        formatter=value_formatter or (lambda v: _fmt(v, None)),
    )
    chart.x_labels = [str(d) for d in dimensions]
    for name, values in data.items():
        chart.add(name, values)
    svg = chart.render(is_unicode=True)
    centre = re.search(r'<g class="guides"><path d="M([-\d.]+) ([-\d.]+) ', svg)
    if centre:
        svg = _upright_radar_labels(svg, (float(centre.group(1)), float(centre.group(2))))
    return _accessible(svg, title, describe(dimensions, data, value_formatter), (width, height))


def line_chart(
    *,
    title: str,
    x_labels: Sequence[str],
    series: Series,
    max_value: Number | None = None,
    value_formatter: Callable[[Number], str] | None = None,
    width: int = 640,
    height: int = 300,
) -> SafeString:
    """Line chart for trends (e.g. capacity scores per assessment date)."""
    import pygal

    data = _as_series(series, "")
    extra = {"range": (0, max_value)} if max_value is not None else {}
    chart = pygal.Line(
        **_config(title, width, height, **extra),
        print_values=len(x_labels) <= 12,
        show_legend=len(data) > 1,
        dots_size=3,
        formatter=value_formatter or (lambda v: _fmt(v, None)),
        x_label_rotation=_rotation(x_labels, width),
    )
    chart.x_labels = [str(label) for label in x_labels]
    for name, values in data.items():
        chart.add(name, values)
    return _render(chart, title, describe(x_labels, data, value_formatter))
