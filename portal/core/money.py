"""Money is stored as integer minor units (fen) with an ISO currency code.

People type yuan; :func:`parse_yuan` (and the form field :class:`YuanField` built on
it) is the one place that reads what they typed: digits, optionally grouped by
thousands with commas (``1,234``), at most two decimals, within the form's limits.
Anything else ("100,00", "1e3", "1_000", "12.345", "-5") is refused with a translated
message, never guessed at.
"""

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€", "HKD": "HK$", "GBP": "£"}
# ¥999,999,999,999.99: far above any real amount, far below a 64-bit column's limit.
MAX_FEN = 99_999_999_999_999
_YUAN = re.compile(r"(?P<whole>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.(?P<cents>[0-9]{1,2}))?")
_MAX_INPUT = 40


def format_fen(amount: int | None, currency: str | None = None, *, decimals: bool = True) -> str:
    """Format integer minor units for display, e.g. ``123456`` → ``¥1,234.56``."""
    if amount is None:
        return "—"
    currency = currency or settings.DEFAULT_CURRENCY
    value = Decimal(int(amount)) / 100
    # Grouping by thousands is what both Chinese and English readers expect for money,
    # whatever the locale's number format says.
    text = f"{value:,.2f}" if decimals else f"{value.to_integral_value(ROUND_HALF_UP):,}"
    sign = "-" if value < 0 else ""
    return f"{sign}{SYMBOLS.get(currency, currency + ' ')}{text.lstrip('-')}"


def fen_to_yuan(amount: int | None) -> str:
    """Integer fen as the yuan text a person would type back: ``123450`` → ``"1234.50"``,
    ``500`` → ``"5"`` (no grouping, no symbol); ``None`` → ``""``."""
    if amount is None:
        return ""
    amount = int(amount)
    sign, amount = ("-" if amount < 0 else ""), abs(amount)
    yuan, fen = divmod(amount, 100)
    return f"{sign}{yuan}" if fen == 0 else f"{sign}{yuan}.{fen:02d}"


def yuan_to_fen(value: str | int | Decimal) -> int:
    """Read a yuan amount (text, ``int`` or ``Decimal``) into fen, exactly.

    The format :func:`parse_yuan` accepts, without limits; raises ``ValueError`` for
    anything else (machine input such as import files reports it per row)."""
    if isinstance(value, bool):
        raise ValueError("not an amount")
    if isinstance(value, int):
        return value * 100
    text = unicodedata.normalize("NFKC", str(value)).strip()
    text = text.removeprefix("¥").strip()
    match = _YUAN.fullmatch(text) if len(text) <= _MAX_INPUT else None
    if match is None:
        raise ValueError("not an amount in yuan with at most two decimals")
    whole = int(match["whole"].replace(",", ""))
    cents = int((match["cents"] or "0").ljust(2, "0"))
    return whole * 100 + cents


def parse_yuan(text: str, *, min_fen: int | None = 1, max_fen: int | None = MAX_FEN) -> int:
    """What a person typed in yuan, as fen within ``[min_fen, max_fen]``.

    Accepts full-width digits and an optional leading ``¥``. Raises ``ValidationError``
    (translated, code ``invalid``, ``min_value`` or ``max_value``) for anything else."""
    try:
        fen = yuan_to_fen(text)
    except ValueError as exc:
        raise ValidationError(
            _("Enter an amount in yuan, e.g. 88 or 88.50."), code="invalid"
        ) from exc
    if min_fen is not None and fen < min_fen:
        raise ValidationError(
            _("Enter an amount of at least %(limit)s."),
            code="min_value",
            params={"limit": format_fen(min_fen)},
        )
    if max_fen is not None and fen > max_fen:
        raise ValidationError(
            _("Enter an amount of at most %(limit)s."),
            code="max_value",
            params={"limit": format_fen(max_fen)},
        )
    return fen


class YuanField(forms.Field):
    """A form field for an amount typed in yuan; its cleaned value is integer fen.

    ``min_fen``/``max_fen`` bound the amount (default: more than zero, at most
    :data:`MAX_FEN`); an initial value in fen is shown as yuan (:func:`fen_to_yuan`)."""

    widget = forms.TextInput

    def __init__(self, *, min_fen: int | None = 1, max_fen: int | None = MAX_FEN, **kwargs):
        self.min_fen, self.max_fen = min_fen, max_fen
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update({"inputmode": "decimal", "autocomplete": "off", "maxlength": _MAX_INPUT})
        return attrs

    def prepare_value(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return fen_to_yuan(value)
        return value

    def to_python(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = "" if value in self.empty_values else str(value).strip()
        if not text:
            return None
        return parse_yuan(text, min_fen=self.min_fen, max_fen=self.max_fen)

    def has_changed(self, initial, data):
        try:
            return self.to_python(data) != initial
        except ValidationError:
            return True


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
_GROUP_UNITS = ("", "万", "亿", "万亿")


def _group_capitals(group: int) -> str:
    """A 0–9999 group in capitals, zeros inside it read once (``1005`` → 壹仟零伍)."""
    text, pending_zero = "", False
    for position in range(3, -1, -1):
        digit = group // 10**position % 10
        if digit == 0:
            pending_zero = bool(text)
            continue
        if pending_zero:
            text += "零"
            pending_zero = False
        text += _DIGITS[digit] + _SMALL_UNITS[position]
    return text


def _yuan_capitals(yuan: int) -> str:
    """Whole yuan in capitals, by groups of four digits (万, 亿); a zero between two
    non-empty parts is read once (``100050`` → 壹拾万零伍拾, ``10000`` → 壹万)."""
    if yuan == 0:
        return ""
    groups = []
    while yuan:
        yuan, group = divmod(yuan, 10_000)
        groups.append(group)
    text, pending_zero = "", False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            pending_zero = bool(text)
            continue
        if text and (pending_zero or group < 1000):
            text += "零"
        pending_zero = False
        text += _group_capitals(group) + _GROUP_UNITS[index]
    return text


def fen_to_capitals(amount: int) -> str:
    """An amount in fen written in Chinese financial capitals (大写金额) as on Chinese
    receipts and cheques, exactly (integers only): ``100000`` → 壹仟元整,
    ``12345`` → 壹佰贰拾叁元肆角伍分, ``100500`` → 壹仟零伍元整, ``1000005`` →
    壹万元零伍分, ``50`` → 伍角, ``0`` → 零元整.

    Raises ``ValueError`` for a negative amount or one above :data:`MAX_FEN`."""
    amount = int(amount)
    if amount < 0 or amount > MAX_FEN:
        raise ValueError("amount out of range")
    yuan, fen = divmod(amount, 100)
    jiao, fen = divmod(fen, 10)
    if amount == 0:
        return "零元整"
    text = _yuan_capitals(yuan) + ("元" if yuan else "")
    if jiao == 0 and fen == 0:
        return text + "整"
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif yuan:
        text += "零"  # ¥10.05 → 壹拾元零伍分
    if fen:
        text += _DIGITS[fen] + "分"
    return text
