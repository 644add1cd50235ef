"""Uploads: images are re-encoded (metadata and appended payloads dropped), bombs and
mismatched content refused, SVG refused on every path including Wagtail's libraries."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from portal.core import uploads

GPS_TAG = 0x8825
SVG_WITH_SCRIPT = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg">'
    b"<script>alert(document.cookie)</script></svg>"
)


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (32, 24), "blue")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 12"  # Model
    exif[GPS_TAG] = {1: "N", 2: (22.0, 32.0, 1.5), 3: "E", 4: (114.0, 3.0, 7.25)}
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif, comment=b"secret comment")
    return buffer.getvalue()


def png_bytes(size=(16, 16), mode="RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size).save(buffer, format="PNG")
    return buffer.getvalue()


def test_jpeg_fixture_really_carries_gps_and_comment():
    image = Image.open(io.BytesIO(jpeg_with_gps()))

    assert GPS_TAG in image.getexif()
    assert image.info["comment"] == b"secret comment"


def test_reencode_drops_exif_gps_and_comment():
    cleaned = uploads.reencode_image(jpeg_with_gps(), "image/jpeg")

    image = Image.open(io.BytesIO(cleaned))
    assert image.format == "JPEG"
    assert image.size == (32, 24)
    assert dict(image.getexif()) == {}
    assert "comment" not in image.info
    assert b"PhoneMaker" not in cleaned


def test_reencode_drops_payload_appended_to_image():
    polyglot = png_bytes() + b"<script>alert(1)</script><?php system($_GET['c']); ?>"

    cleaned = uploads.reencode_image(polyglot, "image/png")

    assert b"<script>" not in cleaned
    assert b"<?php" not in cleaned
    assert Image.open(io.BytesIO(cleaned)).size == (16, 16)


def test_reencode_refuses_decompression_bomb_before_decoding():
    bomb = png_bytes(size=(10_000, 10_000), mode="1")  # 100 megapixels in a few KB

    with pytest.raises(ValidationError) as caught:
        uploads.reencode_image(bomb, "image/png")

    assert len(bomb) < 100_000
    assert caught.value.code == "image_too_big"


def test_reencode_refuses_content_of_another_format():
    with pytest.raises(ValidationError) as caught:
        uploads.reencode_image(png_bytes(), "image/jpeg")

    assert caught.value.code == "image_mismatch"


def test_reencode_refuses_truncated_image():
    broken = jpeg_with_gps()[:200]

    with pytest.raises(ValidationError) as caught:
        uploads.reencode_image(broken, "image/jpeg")

    assert caught.value.code == "image_broken"


def test_sanitize_image_rewrites_upload_in_place():
    upload = SimpleUploadedFile("photo.jpg", jpeg_with_gps(), content_type="image/jpeg")
    before = upload.size

    uploads.sanitize_image(upload, "image/jpeg")

    upload.seek(0)
    data = upload.read()
    assert upload.size == len(data) != before
    assert dict(Image.open(io.BytesIO(data)).getexif()) == {}
    assert upload.name == "photo.jpg"


def test_sanitize_image_leaves_pdf_alone():
    pdf = b"%PDF-1.4\n%%EOF\n"
    upload = SimpleUploadedFile("a.pdf", pdf)

    uploads.sanitize_image(upload, "application/pdf")

    upload.seek(0)
    assert upload.read() == pdf


@pytest.mark.parametrize(
    "head",
    [
        SVG_WITH_SCRIPT,
        b"\xef\xbb\xbf  <svg onload=alert(1)>",
        b"<!DOCTYPE html><html><script>alert(1)</script>",
    ],
)
def test_looks_like_svg_spots_markup(head):
    assert uploads.looks_like_svg(head)


def test_looks_like_svg_ignores_real_images():
    assert not uploads.looks_like_svg(png_bytes())
    assert not uploads.looks_like_svg(jpeg_with_gps())


# --- Every app's upload path ---------------------------------------------------------------


def _svg(name="logo.svg"):
    return SimpleUploadedFile(name, SVG_WITH_SCRIPT, content_type="image/svg+xml")


def test_organization_image_path_refuses_svg_and_strips_gps():
    from organizations.validators import validate_image

    photo = SimpleUploadedFile("logo.jpg", jpeg_with_gps(), content_type="image/jpeg")

    mime = validate_image(photo)

    photo.seek(0)
    assert mime == "image/jpeg"
    assert GPS_TAG not in Image.open(photo).getexif()
    with pytest.raises(ValidationError):
        validate_image(_svg())
    with pytest.raises(ValidationError):
        validate_image(_svg("logo.png"))


def test_organization_document_path_strips_gps_from_scans():
    from organizations.validators import validate_document

    scan = SimpleUploadedFile("cert.jpg", jpeg_with_gps(), content_type="image/jpeg")

    validate_document(scan)

    scan.seek(0)
    assert GPS_TAG not in Image.open(scan).getexif()


def test_projects_upload_path_refuses_svg_disguise_and_strips_gps():
    from projects.uploads import ATTACHMENT_TYPES, PHOTO_TYPES, check_upload

    photo = SimpleUploadedFile("need.jpg", jpeg_with_gps(), content_type="image/jpeg")

    check_upload(photo, allowed=PHOTO_TYPES)

    photo.seek(0)
    assert GPS_TAG not in Image.open(photo).getexif()
    with pytest.raises(ValidationError):
        check_upload(_svg("need.png"), allowed=PHOTO_TYPES)
    with pytest.raises(ValidationError) as caught:
        check_upload(SimpleUploadedFile("plan.pdf", png_bytes()), allowed=ATTACHMENT_TYPES)
    assert caught.value.code == "disguised"


def test_funding_evidence_path_refuses_svg_and_strips_gps():
    from django import forms

    from funding.admin_forms import EVIDENCE_TYPES, validate_upload

    slip = SimpleUploadedFile("slip.jpg", jpeg_with_gps(), content_type="image/jpeg")

    validate_upload(slip, EVIDENCE_TYPES)

    slip.seek(0)
    assert GPS_TAG not in Image.open(slip).getexif()
    with pytest.raises(forms.ValidationError):
        validate_upload(_svg("slip.jpg"), EVIDENCE_TYPES)


# --- Wagtail's image and document libraries ---------------------------------------------------


@pytest.fixture
def admin_client(client, db):
    from tests.factories.organizations import UserFactory

    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_settings_keep_svg_out_of_wagtail_libraries(settings):
    assert "svg" not in settings.WAGTAILIMAGES_EXTENSIONS
    assert not {"svg", "svgz", "html", "htm", "xml", "js"} & set(settings.WAGTAILDOCS_EXTENSIONS)


def test_wagtail_image_upload_is_reencoded_without_gps(admin_client):
    from wagtail.images import get_image_model

    response = admin_client.post(
        "/admin/images/add/",
        {
            "title": "Street",
            "file": SimpleUploadedFile("street.jpg", jpeg_with_gps()),
        },
    )

    image = get_image_model().objects.get(title="Street")
    assert response.status_code == 302
    with image.file.open("rb") as stored:
        data = stored.read()
    assert GPS_TAG not in Image.open(io.BytesIO(data)).getexif()
    assert b"PhoneMaker" not in data
    assert image.file_size == len(data)


def test_wagtail_image_upload_refuses_svg_and_polyglot_markup(admin_client):
    from wagtail.images import get_image_model

    svg = admin_client.post(
        "/admin/images/add/",
        {
            "title": "Evil",
            "file": SimpleUploadedFile("evil.svg", SVG_WITH_SCRIPT),
        },
    )
    disguised = admin_client.post(
        "/admin/images/add/",
        {
            "title": "Evil2",
            "file": SimpleUploadedFile("evil.png", SVG_WITH_SCRIPT),
        },
    )

    assert svg.status_code == 200
    assert disguised.status_code == 200
    assert not get_image_model().objects.filter(title__startswith="Evil").exists()


def test_wagtail_document_upload_refuses_svg(admin_client):
    from wagtail.documents import get_document_model

    response = admin_client.post(
        "/admin/documents/add/",
        {
            "title": "Evil",
            "file": SimpleUploadedFile("evil.svg", SVG_WITH_SCRIPT),
        },
    )

    assert response.status_code == 200
    assert not get_document_model().objects.filter(title="Evil").exists()
