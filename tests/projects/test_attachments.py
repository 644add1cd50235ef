import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories.organizations import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    return buffer.getvalue()


def _upload(client, application, name, content, content_type="application/pdf"):
    return client.post(
        reverse("projects:application_attachment_upload", kwargs={"pk": application.pk}),
        {
            "file": SimpleUploadedFile(name, content, content_type=content_type),
            "description": "场地证明",
        },
    )


def test_pdf_upload_is_stored_privately_and_listed(client, application, user, settings):
    client.force_login(user)

    response = _upload(client, application, "证明.pdf", PDF)

    attachment = application.attachments.get()
    assert response.status_code == 302
    assert attachment.original_name == "证明.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.size == len(PDF)
    assert attachment.file.path.startswith(str(settings.PRIVATE_MEDIA_ROOT))


def test_disguised_file_is_refused_with_clear_error(client, application, user):
    client.force_login(user)

    response = _upload(client, application, "budget.pdf", _png(), "application/pdf")

    assert response.status_code == 400
    assert "文件扩展名为“.pdf”，但内容实际是 PNG。" in response.content.decode()
    assert application.attachments.count() == 0


def test_executable_is_refused(client, application, user):
    client.force_login(user)

    response = _upload(client, application, "setup.pdf", b"MZ\x90\x00" + b"\x00" * 200)

    assert "不接受此类文件" in response.content.decode()
    assert application.attachments.count() == 0


def test_oversized_file_is_refused(client, application, user, settings):
    settings.MAX_UPLOAD_SIZE = 100
    client.force_login(user)

    response = _upload(client, application, "big.pdf", PDF + b" " * 200)

    assert "文件过大" in response.content.decode()
    assert application.attachments.count() == 0


def test_member_downloads_attachment_other_org_gets_404(client, application, user):
    client.force_login(user)
    _upload(client, application, "证明.pdf", PDF)
    attachment = application.attachments.get()
    outsider = MembershipFactory(user=UserFactory(username="stranger"))

    own = client.get(attachment.get_absolute_url())
    client.force_login(outsider.user)
    other = client.get(attachment.get_absolute_url())
    client.logout()
    anonymous = client.get(attachment.get_absolute_url())

    assert b"".join(own.streaming_content) == PDF
    assert own["Content-Type"] == "application/pdf"
    assert "attachment" in own["Content-Disposition"]
    assert other.status_code == 404
    assert anonymous.status_code == 302


def test_attachment_cannot_be_added_after_submission(client, complete, user):
    from projects import services

    services.submit_application(application=complete, by=user)
    client.force_login(user)

    response = _upload(client, complete, "late.pdf", PDF)

    assert response.status_code == 404
    assert complete.attachments.count() == 0
