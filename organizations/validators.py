"""Validators for Chinese registry data and uploaded files."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from portal.core import uploads as portal_uploads

CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_CODE_RE = re.compile(rf"^[{CREDIT_CODE_CHARSET}]{{18}}$")
# Mainland mobile numbers: 11 digits starting 13–19, optional +86 / 86 prefix.
_MOBILE_RE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")


def credit_code_check_char(body: str) -> str:
    """The GB 32100-2015 check character for the first 17 characters of a code."""
    total = sum(
        CREDIT_CODE_CHARSET.index(c) * w for c, w in zip(body, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    """Raise unless ``value`` is an 18-character unified social credit code whose last
    character is the GB 32100-2015 check character of the first 17."""
    code = (value or "").strip().upper()
    if not _CREDIT_CODE_RE.match(code):
        raise ValidationError(
            _(
                "A unified social credit code has 18 characters: digits and capital letters "
                "except I, O, S, V and Z."
            ),
            code="credit_code_format",
        )
    if credit_code_check_char(code[:17]) != code[17]:
        raise ValidationError(
            _(
                "This unified social credit code is not valid (the check character does not "
                "match). Please copy it again from the registration certificate."
            ),
            code="credit_code_check",
        )


def normalize_mobile(value: str) -> str:
    """Strip spaces, dashes and the +86 prefix; return the 11 digits (or the input)."""
    compact = re.sub(r"[\s-]", "", value or "")
    match = _MOBILE_RE.match(compact)
    return match.group(1) if match else compact


def validate_mobile(value: str) -> None:
    """Raise unless ``value`` is a mainland China mobile number."""
    if not _MOBILE_RE.match(re.sub(r"[\s-]", "", value or "")):
        raise ValidationError(
            _("Enter a mainland China mobile number: 11 digits starting with 13–19."),
            code="mobile",
        )


DOCUMENT_TYPES = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
}
IMAGE_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


def sniff_type(upload) -> str | None:
    """The MIME type found in the file's first bytes, whatever its name says."""
    kind = portal_uploads.sniff_type(upload)
    return kind.mime if kind else None


def validate_document(upload) -> str:
    """Check size and content (PDF, JPEG or PNG by magic bytes); return the real MIME type."""
    portal_uploads.check_size(upload)
    mime = sniff_type(upload)
    if mime not in DOCUMENT_TYPES:
        raise ValidationError(
            _(
                "Upload a PDF, JPEG or PNG file. The file's content does not match any of "
                "these, whatever its name says."
            ),
            code="file_type",
        )
    portal_uploads.sanitize_image(upload, mime)
    return mime


def validate_image(upload) -> str:
    """Check size and content (JPEG, PNG or WebP by magic bytes); return the MIME type."""
    portal_uploads.check_size(upload)
    mime = sniff_type(upload)
    if mime not in IMAGE_TYPES:
        raise ValidationError(_("Upload a JPEG, PNG or WebP image."), code="image_type")
    portal_uploads.sanitize_image(upload, mime)
    return mime
