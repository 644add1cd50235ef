"""Spreadsheet cells that cannot run as formulas (CSV/formula injection).

A spreadsheet program opening a CSV file runs a cell that starts with ``=``, ``+``,
``-`` or ``@`` as a formula (``=HYPERLINK(…)``, ``+cmd|…``), and a leading tab or
carriage return hides such a prefix from a naive check. Text cells that start with one
of these get a leading apostrophe, which spreadsheets show as text and do not display.
Numbers keep their sign: ``-5`` as a number is data, not a formula.

Every CSV this site writes goes through :func:`neutralise_formula`: the open-data API
(``portal.api.views``) and every Wagtail admin export (model and snippet viewsets,
reports such as site history, form submissions), which share Wagtail's
``SpreadsheetExportMixin``; :func:`protect_wagtail_exports` makes its CSV rows use it.
Wagtail's XLSX export already stores such text as text (it overrides openpyxl's formula
type), so only the CSV rows need this.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

_DATA_TYPES = (int, float, Decimal, datetime.date, datetime.time)


def neutralise_formula(value: object) -> object:
    """``value`` as a CSV cell that no spreadsheet runs as a formula.

    Numbers, dates and ``None`` are returned unchanged (the CSV writer formats them);
    any other value is turned into text, with an apostrophe in front when it starts
    with a formula prefix.
    """
    if value is None or isinstance(value, _DATA_TYPES):
        return value
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def protect_wagtail_exports() -> None:
    """Make every Wagtail CSV export neutralise formulas (called once at start-up).

    Wagtail has no setting for this, and its exports are built into views we do not
    own (site history, form submissions, every viewset's index view), so the one shared
    method that writes a CSV row is replaced: after Wagtail's own preprocessing, each
    value goes through :func:`neutralise_formula`.
    """
    from wagtail.admin.views.mixins import SpreadsheetExportMixin

    if getattr(SpreadsheetExportMixin.write_csv_row, "neutralises_formulas", False):
        return

    def write_csv_row(self, writer, row_dict):
        return writer.writerow(
            {
                field: neutralise_formula(
                    self.preprocess_field_value(field, value, self.FORMAT_CSV)
                )
                for field, value in row_dict.items()
            }
        )

    write_csv_row.neutralises_formulas = True
    SpreadsheetExportMixin.write_csv_row = write_csv_row
