"""Upload checks: by content (magic bytes), not by name, and by size."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from portal.core.uploads import check_size, sanitize_image, sniff_type

# Sniffed MIME type → file-name endings that may carry it.
ATTACHMENT_TYPES = {
    "application/pdf": {"pdf"},
    "image/jpeg": {"jpg", "jpeg"},
    "image/png": {"png"},
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {"docx"},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"xlsx"},
}
PHOTO_TYPES = {
    "image/jpeg": {"jpg", "jpeg"},
    "image/png": {"png"},
    "image/webp": {"webp"},
}


def check_upload(upload, *, allowed: dict[str, set[str]], max_size: int | None = None) -> str:
    """Return the sniffed content type of ``upload`` or raise ``ValidationError``.

    Refuses files over ``max_size`` (default ``settings.MAX_UPLOAD_SIZE``), files whose
    content is not one of ``allowed`` and files whose name claims another type.
    """
    check_size(upload, max_size)
    kind = sniff_type(upload)
    if kind is None or kind.mime not in allowed:
        raise ValidationError(
            _("This kind of file is not accepted. Accepted: %(types)s.")
            % {"types": ", ".join(sorted({e.upper() for s in allowed.values() for e in s}))},
            code="bad_type",
        )
    extension = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
    if extension not in allowed[kind.mime]:
        raise ValidationError(
            _("The file name says “.%(ext)s” but the content is %(kind)s.")
            % {"ext": extension, "kind": kind.extension.upper()},
            code="disguised",
        )
    sanitize_image(upload, kind.mime)
    return kind.mime
