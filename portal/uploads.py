"""Upload checks shared by every app: size against ``settings.MAX_UPLOAD_SIZE`` and the
real type from the file's first bytes (magic numbers), never from its name."""

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _


def check_size(upload, max_size: int | None = None) -> None:
    """Raise ``ValidationError`` (code ``too_large``) when the upload exceeds the limit."""
    limit = max_size or settings.MAX_UPLOAD_SIZE
    if upload.size > limit:
        raise ValidationError(
            _("The file is too large (%(size)s); the limit is %(limit)s.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            code="too_large",
        )


def sniff_type(upload):
    """The ``filetype`` kind found in the file's first bytes (or None); the read position
    is left where it was."""
    position = upload.tell() if hasattr(upload, "tell") else 0
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(position)
    return filetype.guess(head)
