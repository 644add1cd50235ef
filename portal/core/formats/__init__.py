"""Per-language format overrides (settings.FORMAT_MODULE_PATH).

Browsers accept only ISO values in ``<input type="date">`` (``2026-12-07``) and
``<input type="datetime-local">`` (``2026-12-07T09:30``). Django renders a DateInput or
DateTimeInput with the first of the active language's input formats, which for zh-hans is
``2026/12/07``: the browser drops it and the date is lost on reload. Each language here puts
the ISO format first, so every date and datetime widget on the site and in the admin renders
ISO values, and keeps the language's other formats for parsing typed input.
"""

from __future__ import annotations

ISO_DATE = "%Y-%m-%d"
ISO_DATETIME = "%Y-%m-%dT%H:%M"


def iso_first(formats: list[str], iso: str) -> list[str]:
    """``formats`` with ``iso`` moved to the front (the format widgets render with)."""
    return [iso, *(f for f in formats if f != iso)]
