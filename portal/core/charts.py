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

import math
import re
from collections.abc import Callable, Mapping, Sequence
from html import escape

from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

FONT_FAMILY = '"Portal CJK", "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif'
# Dark-to-light alternation so neighbouring series differ in greyscale print as well.
PALETTE = ("#7d1510", "#2f6f9f", "#d9822b", "#3d7a3a", "#6b4c9a", "#8c8c8c")

Number = int | float

# Text size in SVG units. A web chart is drawn on a canvas of at most PHONE_CANVAS units so
# that, squeezed into a 390 px phone (358 px of content), its labels stay >= 12 px
# (14 * 358 / 400 = 12.5); PDFs print one unit as MM_PER_UNIT mm (14 units ~ 8.7 pt).
FONT_SIZE = 14
PHONE_CANVAS = 400
# At most this many value-axis ticks, at round steps (1, 2, 2.5, 5 x 10^k).
MAX_TICKS = 6
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
        title_font_size=16,
        label_font_size=FONT_SIZE,
        major_label_font_size=FONT_SIZE,
        legend_font_size=FONT_SIZE,
        value_font_size=FONT_SIZE,
        value_label_font_size=FONT_SIZE,
        no_data_font_size=18,
        stroke_opacity="1",
        stroke_opacity_hover="1",
    )


def _config(title: str, width: int, height: int, **extra) -> dict:
    return {
        "title": title or None,
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


def _value_label(formatter: Callable[[Number], str] | None) -> Callable[[Number], str]:
    """The label printed on a bar or point: nothing for zero (a row of "¥0" is clutter;
    the text alternative still lists it)."""
    return lambda v: "" if not v else _fmt(v, formatter)


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
# paper (14-unit labels ~ 8.7 pt) whatever its canvas width; CSS max-width caps it.
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


def _label_width(text: str, font_size: int = FONT_SIZE) -> float:
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


_GUIDE = re.compile(r'<path d="[^"]*" class="(?:major )?guide line" ?/>')


def _render(chart, title: str, description: str) -> SafeString:
    size = (chart.config.width, chart.config.height)
    svg = chart.render(is_unicode=True)
    if chart.config.print_values:
        # Grid lines would cross the printed values (pygal draws the value axis's
        # guides whatever show_*_guides says for a horizontal chart): drop them.
        svg = _GUIDE.sub("", svg)
    return _accessible(svg, title, description, size)


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
    show_title: bool = True,
) -> SafeString:
    """Bar chart (one bar per label and series), values printed on the bars.

    Zero bars carry no value label; the value axis has at most ``MAX_TICKS`` round
    ticks (in Chinese, large figures in 万) and no grid lines, which would cross the
    printed values. ``show_title=False`` leaves the title out of the picture (for a
    page whose heading already says it); it stays the chart's accessible name.
    """
    import pygal

    data = _as_series(series, "")
    cls = pygal.HorizontalBar if horizontal else pygal.Bar
    ticks = value_ticks(data, max_value)
    chart = cls(
        **_config(title if show_title else "", width, height, range=(0, ticks[-1]["value"])),
        print_values=True,
        show_legend=len(data) > 1,
        formatter=_value_label(value_formatter),
        x_label_rotation=_rotation(labels, width) if not horizontal else 0,
    )
    chart.x_labels = [str(label) for label in labels]
    chart.y_labels = ticks
    for name, values in data.items():
        chart.add(name, values)
    svg = _render(chart, title, describe(labels, data, value_formatter))
    return mark_safe(_values_beside_short_bars(svg)) if horizontal else svg  # noqa: S308


_HBAR_VALUE = re.compile(
    r'<text text-anchor="middle" x="([-\d.]+)" (y="[-\d.]+" class="value">)([^<]+)<'
)


def _values_beside_short_bars(svg: str) -> str:
    """pygal centres a horizontal bar's value on the bar (x = half its length); when the
    text is wider than the bar it would spill over the axis, so put it after the bar."""

    def move(match: re.Match) -> str:
        centre, rest, text = float(match.group(1)), match.group(2), match.group(3)
        if _label_width(text) + 8 <= 2 * centre:
            return match.group(0)
        return f'<text text-anchor="start" x="{2 * centre + 4:.1f}" {rest}{text}<'

    return _HBAR_VALUE.sub(move, svg)


def nice_step(top: Number, *, most: int = MAX_TICKS, whole: bool = False) -> Number:
    """The smallest round step (1, 2, 2.5 or 5 x 10^k) that covers 0..top in at most
    ``most`` ticks; ``whole`` keeps it an integer (for counts)."""
    if top <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(top / (most - 1)))
    for base in (1, 2, 2.5, 5, 10):
        step = base * magnitude
        if whole and (step < 1 or step != int(step)):
            continue
        if math.ceil(top / step - 1e-9) <= most - 1:
            return int(step) if step == int(step) else step
    return 10 * magnitude  # unreachable: base 10 always fits


def axis_label(value: Number) -> str:
    """A tick label: in Chinese, 10,000 and above in 万 (55万, 2.5万); else digits with
    thousands separators."""
    if translation.get_language() == "zh-hans" and abs(value) >= 10_000:
        return f"{value / 10_000:g}万"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def value_ticks(
    data: Mapping[str, Sequence[Number | None]], max_value: Number | None
) -> list[dict]:
    """Round value-axis ticks from 0 to at least the largest value (or ``max_value``),
    as pygal label dicts."""
    values = [v for vs in data.values() for v in vs if v is not None]
    top = max_value if max_value is not None else max(values + [0])
    whole = all(isinstance(v, int) for v in values) and float(top).is_integer()
    step = nice_step(top, whole=whole) if top > 0 else 1
    count = max(1, math.ceil(top / step - 1e-9))
    return [{"value": step * i, "label": axis_label(step * i)} for i in range(count + 1)]


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
    show_title: bool = True,
) -> SafeString:
    """Line chart for trends (e.g. capacity scores per assessment date). Values are
    printed at the points when there are at most 12 (then without grid lines, which
    would cross them)."""
    import pygal

    data = _as_series(series, "")
    ticks = value_ticks(data, max_value)
    print_values = len(x_labels) <= 12
    chart = pygal.Line(
        **_config(title if show_title else "", width, height, range=(0, ticks[-1]["value"])),
        print_values=print_values,
        show_x_guides=False,
        show_legend=len(data) > 1,
        dots_size=3,
        formatter=_value_label(value_formatter),
        x_label_rotation=_rotation(x_labels, width),
    )
    chart.x_labels = [str(label) for label in x_labels]
    chart.y_labels = ticks
    for name, values in data.items():
        chart.add(name, values)
    return _render(chart, title, describe(x_labels, data, value_formatter))
