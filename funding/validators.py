"""Validators for what finance types or uploads about receipts."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from organizations.validators import validate_credit_code
from portal.core import uploads

SEAL_TYPES = {"image/png", "image/jpeg"}
SEAL_MAX_SIZE = 2 * 1024 * 1024
OFFICIAL_PDF_MAX_SIZE = 5 * 1024 * 1024
# A fiscal e-receipt (财政电子票据, incl. 公益事业捐赠统一票据) is identified by its
# 票据代码 (8 digits: region, kind, year) and 票据号码 (10 digits).
OFFICIAL_CODE_RE = re.compile(r"[0-9]{8}")
OFFICIAL_NUMBER_RE = re.compile(r"[0-9]{10}")


def validate_credit_code_field(value: str) -> None:
    """An empty value is allowed (the field is optional); anything else must be a valid
    GB 32100-2015 code."""
    if value:
        validate_credit_code(value)


def validate_seal_image(value) -> None:
    """A newly uploaded seal must be a PNG or JPEG (by its bytes) of at most 2 MB; it is
    re-encoded so that only pixels are stored. An already stored file is not re-read."""
    if not value or getattr(value, "_committed", True):
        return
    upload = value.file
    uploads.check_size(upload, SEAL_MAX_SIZE)
    kind = uploads.sniff_type(upload)
    if kind is None or kind.mime not in SEAL_TYPES:
        raise ValidationError(_("Upload the seal as a PNG or JPEG image."), code="seal_type")
    uploads.sanitize_image(upload, kind.mime)


def validate_official_code(value: str) -> None:
    if not OFFICIAL_CODE_RE.fullmatch(value or ""):
        raise ValidationError(
            _("The receipt code (票据代码) has 8 digits, e.g. 44010126."),
            code="official_code",
        )


def validate_official_number(value: str) -> None:
    if not OFFICIAL_NUMBER_RE.fullmatch(value or ""):
        raise ValidationError(
            _("The receipt number (票据号码) has 10 digits, e.g. 0000012345."),
            code="official_number",
        )


def validate_official_pdf(upload) -> None:
    """The official e-receipt must be a PDF (by its bytes, whatever its name says) of at
    most 5 MB."""
    uploads.check_size(upload, OFFICIAL_PDF_MAX_SIZE)
    kind = uploads.sniff_type(upload)
    if kind is None or kind.mime != "application/pdf":
        raise ValidationError(
            _(
                "Upload the e-receipt as the PDF file the finance bureau's system issued; "
                "this file is not a PDF, whatever its name says."
            ),
            code="not_pdf",
        )
