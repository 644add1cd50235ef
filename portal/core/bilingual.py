"""Taxonomy rows (regions, service categories and items, incubation stages and assessment
dimensions) carry a Chinese ``name`` and an optional ``name_en``; pages, forms, filters and
PDFs show the one that fits the active language, falling back to Chinese."""

import re

from django.template.defaultfilters import linebreaksbr
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext, gettext_lazy


class BilingualName:
    """Mixin for models with ``name`` and ``name_en``: ``str()`` and ``local_name`` follow
    the active language (English where an English name exists, Chinese otherwise)."""

    def display_name(self, language: str | None = None) -> str:
        language = language if language is not None else (get_language() or "")
        if language.startswith("en") and self.name_en:
            return self.name_en
        return self.name

    @property
    def local_name(self) -> str:
        return self.display_name()

    def __str__(self):
        return self.display_name()


def both_names(*rows) -> list[str]:
    """Chinese and English names (and search keywords, where a row has them) of taxonomy
    rows (``None`` rows skipped), for search indexes that must answer in either language."""
    return [
        name
        for row in rows
        if row is not None
        for name in (row.name, row.name_en, getattr(row, "keywords", ""))
        if name
    ]


def region_path(region) -> list:
    """``region`` and its ancestors (community → sub-district → district → city)."""
    path = []
    while region is not None and len(path) < 5:
        path.append(region)
        region = region.parent
    return path


# Content rows (projects, organizations, needs) carry Chinese text typed by people and
# optional English versions in ``<field>_en``. English pages show the English version;
# otherwise the Chinese original, marked ``lang="zh-Hans"`` (screen readers switch voice,
# browsers pick CJK fonts) and labelled visibly as the Chinese original.
EN_TITLE_MAX = 200
EN_SUMMARY_MAX = 2000
EN_TOO_LONG = gettext_lazy(
    "Keep the English text to %(limit_value)d characters at most (it has %(show_value)d)."
)

_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Chinese text with the CJK punctuation and full-width forms around it (。（）：、).
_CJK_SPAN_RE = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]+")


def english_limits(form) -> None:
    """Give a form's optional English fields (``*_en``) the clear, translated "too long"
    message (a ModelForm does not take it from the model field)."""
    for name, field in form.fields.items():
        if name.endswith("_en") and getattr(field, "max_length", None):
            field.error_messages["max_length"] = EN_TOO_LONG


def is_english(language: str | None = None) -> bool:
    language = language if language is not None else (get_language() or "")
    return language.startswith("en")


def has_cjk(text: str) -> bool:
    return bool(_CJK_RE.search(text or ""))


def english_or_original(obj, field: str, language: str | None = None) -> tuple[str, bool]:
    """``(text, is_original)``: the English version of ``obj.<field>`` on English pages
    when one was given, else the Chinese original and whether it is shown as such."""
    original = getattr(obj, field, "") or ""
    if not is_english(language):
        return original, False
    english = getattr(obj, f"{field}_en", "") or ""
    if english.strip():
        return english, False
    return original, has_cjk(original)


def mark_chinese(text: str, *, label: bool = False, linebreaks: bool = False) -> SafeString:
    """``text`` escaped (``linebreaks``: newlines as ``<br>``). On English pages, the
    part of it from its first to its last Chinese character is wrapped in a
    ``<span lang="zh-Hans">`` ("Excellent (优)" keeps its English outside) and
    ``label=True`` adds a visible, translated "Chinese original" label after it."""
    text = "" if text is None else str(text)
    render = linebreaksbr if linebreaks else conditional_escape
    spans = _CJK_SPAN_RE.finditer(text) if is_english() else ()
    found = [span for span in spans if has_cjk(span.group())]
    if not found:
        return render(text)
    start, end = found[0].start(), found[-1].end()
    marked = format_html(
        '{}<span lang="zh-Hans">{}</span>{}',
        render(text[:start]),
        render(text[start:end]),
        render(text[end:]),
    )
    if not label:
        return marked
    return format_html(
        '{} <small class="zh-original">{}</small>', marked, gettext("Chinese original")
    )
