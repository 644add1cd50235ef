"""Reading and printing the numbers on a score sheet."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CENT = Decimal("0.01")


def num(value: Decimal) -> str:
    """``Decimal("10.00")`` → ``"10"``, ``Decimal("7.50")`` → ``"7.5"``."""
    return format(value.normalize(), "f")


def parse_number(raw, *, cents: bool = False) -> Decimal | None:
    """A typed number, or ``None`` when empty. Raises ``ValidationError`` for text that is
    not a finite number and, with ``cents``, for more than two decimal places."""
    if raw in (None, ""):
        return None
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise ValidationError(_("“%(value)s” is not a number.") % {"value": raw}) from None
    if not value.is_finite():
        raise ValidationError(_("“%(value)s” is not a number.") % {"value": raw})
    if cents and value != value.quantize(CENT):
        raise ValidationError(_("Use at most two decimal places."))
    return value
