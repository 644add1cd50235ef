"""Taxonomy rows (regions, service categories and items, incubation stages and assessment
dimensions) carry a Chinese ``name`` and an optional ``name_en``; pages, forms, filters and
PDFs show the one that fits the active language, falling back to Chinese."""

from django.utils.translation import get_language


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
