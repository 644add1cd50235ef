"""Upload checks shared by every app: size against ``settings.MAX_UPLOAD_SIZE``, the
real type from the file's first bytes (magic numbers), never from its name, and images
re-encoded by Pillow so that what is stored is pixels only.

Every upload path calls these (``organizations.validators``, ``projects.uploads``,
``funding.admin_forms``); Wagtail's image library uses :data:`WagtailImageForm`
(``WAGTAILIMAGES_IMAGE_FORM_BASE``). See ``docs/security.md``.
"""

import io
import warnings

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

# Sniffed MIME type -> the Pillow format that must decode it.
IMAGE_FORMATS = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/webp": "WEBP",
    "image/gif": "GIF",
}
DEFAULT_MAX_IMAGE_PIXELS = 40_000_000  # 40 megapixels: more than any phone photo


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


def looks_like_svg(head: bytes) -> bool:
    """True when ``head`` (the first bytes of a file) is SVG or other XML/HTML markup,
    which browsers may run scripts from."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith((b"<?xml", b"<svg", b"<!doctype", b"<html")) or b"<svg" in text[:1024]


def refuse_svg(upload) -> None:
    """Raise ``ValidationError`` (code ``svg``) for SVG/XML/HTML content, whatever the name."""
    position = upload.tell() if hasattr(upload, "tell") else 0
    upload.seek(0)
    head = upload.read(4096)
    upload.seek(position)
    if looks_like_svg(head) or upload.name.lower().endswith((".svg", ".svgz")):
        raise ValidationError(
            _(
                "SVG and other markup files are not accepted; upload a JPEG, PNG or WebP "
                "image instead."
            ),
            code="svg",
        )


def reencode_image(data: bytes, mime: str) -> bytes:
    """Decode ``data`` (a ``mime`` image) with Pillow and encode the pixels again in the
    same format, without EXIF, XMP, ICC comments or anything appended after the image.

    Raises ``ValidationError``: ``image_mismatch`` when the content does not decode as
    the sniffed format, ``image_too_big`` above ``settings.MAX_IMAGE_PIXELS`` pixels
    (decompression bombs are refused before their pixels are decoded), ``image_broken``
    when Pillow cannot decode it.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    expected = IMAGE_FORMATS.get(mime)
    if expected is None:
        raise ValidationError(_("This kind of image is not accepted."), code="image_mismatch")
    max_pixels = getattr(settings, "MAX_IMAGE_PIXELS", DEFAULT_MAX_IMAGE_PIXELS)
    broken = ValidationError(
        _("The image could not be read. Please upload it again or save it as a new JPEG or PNG."),
        code="image_broken",
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format != expected:
                raise ValidationError(
                    _("The file's content is not the kind of image its type says."),
                    code="image_mismatch",
                )
            width, height = image.size
            if width * height > max_pixels:
                raise ValidationError(
                    _(
                        "The image is too large (%(w)s × %(h)s pixels); the limit is "
                        "%(limit)s megapixels."
                    )
                    % {"w": width, "h": height, "limit": max_pixels // 1_000_000},
                    code="image_too_big",
                )
            image.load()
            frames = getattr(image, "n_frames", 1)
            # Turn the photo the way its EXIF orientation says, then forget the EXIF.
            image = ImageOps.exif_transpose(image) if frames == 1 else image
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValidationError(
            _("The image is too large to process."), code="image_too_big"
        ) from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise broken from exc
    out = io.BytesIO()
    options = {}
    if expected == "JPEG":
        image = image.convert("RGB") if image.mode not in ("RGB", "L") else image
        options = {"quality": 90, "optimize": True}
    elif expected == "GIF" and frames > 1:
        options = {"save_all": True}
    clean = image.copy() if frames == 1 else image
    clean.info = {}
    clean.save(out, format=expected, **options)
    return out.getvalue()


def sanitize_image(upload, mime: str) -> None:
    """Re-encode ``upload`` in place when ``mime`` is an image type (no-op otherwise):
    the stored file then holds only pixels (see :func:`reencode_image`, which also says
    what it raises). The file keeps its name; ``upload.size`` is updated."""
    if mime not in IMAGE_FORMATS:
        return
    upload.seek(0)
    data = reencode_image(upload.read(), mime)
    target = getattr(upload, "file", upload)
    target.seek(0)
    target.truncate()
    target.write(data)
    if hasattr(target, "flush"):
        target.flush()
    target.seek(0)
    upload.size = len(data)


def _wagtail_image_form():
    """``WAGTAILIMAGES_IMAGE_FORM_BASE``: Wagtail's image form that also refuses SVG and
    re-encodes the upload (built lazily: this module is imported while apps load)."""
    from wagtail.images.forms import BaseImageForm

    class WagtailImageForm(BaseImageForm):
        def clean_file(self):
            upload = self.cleaned_data.get("file")
            if upload and hasattr(upload, "seek") and not getattr(upload, "_committed", False):
                refuse_svg(upload)
                kind = sniff_type(upload)
                if kind is None or kind.mime not in IMAGE_FORMATS:
                    raise ValidationError(
                        _("Upload a JPEG, PNG, GIF or WebP image."), code="image_type"
                    )
                sanitize_image(upload, kind.mime)
            return upload

    return WagtailImageForm


def __getattr__(name):
    if name == "WagtailImageForm":
        return _wagtail_image_form()
    raise AttributeError(name)
