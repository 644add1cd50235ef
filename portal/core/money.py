"""Money is stored as integer minor units (fen) with an ISO currency code."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings

SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€", "HKD": "HK$", "GBP": "£"}


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


def yuan_to_fen(value: str | int | Decimal) -> int:
    """Parse a yuan amount typed by a person (``"12.5"``) into fen, exactly.

    Raises ``ValueError`` for anything that is not a finite number with at most two
    decimal places.
    """
    try:
        amount = Decimal(str(value).replace(",", "").replace("¥", "").strip())
    except InvalidOperation as exc:
        raise ValueError("not a number") from exc
    if not amount.is_finite():
        raise ValueError("not a finite number")
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise ValueError("more than two decimal places")
    return int(fen.quantize(Decimal(1), rounding=ROUND_HALF_UP))
