"""Personal information the portal never collects (PIPL data minimisation).

Identity-card numbers are sensitive personal information; no page needs one (a receipt
carries the name the donor gives, the official e-receipt is issued by the finance bureau's
system). Donors used to type them into the receipt name, where they were printed on a PDF
and shown to staff. :func:`refuse_identity_number` is the validator for such free-text name
fields: it refuses a mainland resident identity number (18 characters, the last a digit or
X, with a valid check character; or the old 15-digit form) anywhere in the text, with a
translated reason, so the form keeps what was typed and nothing is stored.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Digits possibly separated by spaces or hyphens, as people type them.
_CANDIDATE = re.compile(r"(?<![0-9])(?:[0-9][ -]?){14,17}[0-9Xx](?![0-9])")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def _is_identity_number(chars: str) -> bool:
    chars = chars.upper()
    if len(chars) == 15:
        return chars.isdigit()
    if len(chars) != 18 or not chars[:17].isdigit():
        return False
    total = sum(int(c) * w for c, w in zip(chars[:17], _WEIGHTS, strict=True))
    return _CHECK[total % 11] == chars[17]


def contains_identity_number(text: str) -> bool:
    for match in _CANDIDATE.finditer(text or ""):
        if _is_identity_number(re.sub(r"[ -]", "", match.group())):
            return True
    return False


def refuse_identity_number(value: str) -> None:
    if contains_identity_number(value):
        raise ValidationError(
            _(
                "Please do not enter an identity-card number. The portal does not collect "
                "them: a name is enough for the receipt."
            ),
            code="identity_number",
        )
