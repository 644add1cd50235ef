"""Listing columns for finance screens: money in yuan with its currency (¥3,000.00, never
raw fen) and booleans as words (是 / 否), in listings and their CSV/XLSX exports alike."""

from django.utils.translation import gettext as _
from wagtail.admin.ui.tables import Column

from portal.core.money import format_fen


def _label(model, field: str):
    return model._meta.get_field(field).verbose_name


def yuan(model, field: str, *, currency_field: str = "currency") -> Column:
    """A column showing the fen amount ``field`` of ``model`` as money in the row's
    currency, labelled with the field's verbose name."""

    def value(instance):
        amount = getattr(instance, field)
        if amount is None:
            return "—"
        return format_fen(amount, getattr(instance, currency_field, "CNY") or "CNY")

    return Column(field, label=_label(model, field), accessor=value, sort_key=field)


def yes_no(model, field: str) -> Column:
    """A column showing the boolean ``field`` of ``model`` as 是 / 否 (Yes / No) in the
    reader's language, labelled with the field's verbose name."""

    def value(instance):
        return _("Yes") if getattr(instance, field) else _("No")

    return Column(field, label=_label(model, field), accessor=value, sort_key=field)
