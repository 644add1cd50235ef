"""An online appeal's optional attachment (#15): checked by content like every upload,
stored privately, downloaded by programme staff only from Review → Appeals; a refused
upload says why and keeps the typed grounds. The public notice counts the appeals."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation
from wagtail.models import ModelLogEntry

from organizations.enums import MemberRole
from projects.review import services
from projects.review.models import Appeal
from tests.factories.organizations import MembershipFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"


def _appeal_url(application):
    with translation.override("zh-hans"):
        return application.get_absolute_url() + "appeal/"


def _post(client, application, grounds, upload):
    data = {"grounds": grounds}
    if upload is not None:
        data["attachment"] = upload
    with translation.override("zh-hans"):
        return client.post(_appeal_url(application), data, HTTP_ACCEPT_LANGUAGE="zh-hans")


def test_appeal_with_a_pdf_stores_it_privately_and_logs_its_name(
    client, published, owner, settings
):
    client.force_login(owner)

    response = _post(
        client, published[1], "预算附件被漏看", SimpleUploadedFile("预算说明.pdf", PDF)
    )

    appeal = Appeal.objects.get()
    assert response.status_code == 302
    assert appeal.attachment_name == "预算说明.pdf"
    assert appeal.attachment_content_type == "application/pdf"
    assert appeal.attachment.name.startswith(f"review/appeals/{appeal.decision_id}/")
    stored = settings.PRIVATE_MEDIA_ROOT / appeal.attachment.name
    assert stored.read_bytes() == PDF
    entry = ModelLogEntry.objects.get(action="review.appeal.submit")
    assert entry.data == {"attachment": "预算说明.pdf"}


def test_appeal_without_attachment_still_works(client, published, owner):
    client.force_login(owner)

    response = _post(client, published[1], "评分标准理解有误", None)

    appeal = Appeal.objects.get()
    assert response.status_code == 302
    assert (appeal.attachment.name, appeal.attachment_name) == ("", "")


def test_refused_upload_says_why_and_keeps_the_grounds(client, published, owner):
    client.force_login(owner)

    response = _post(
        client,
        published[1],
        "第二位专家漏看了预算附件",
        SimpleUploadedFile("说明.pdf", b"MZ\x90\x00"),
    )

    body = response.content.decode()
    assert response.status_code == 400
    assert response.context["appeal_form"].errors["attachment"] == [
        "附件未被接受：不接受此类文件。可接受：DOCX, JPEG, JPG, PDF, PNG, XLSX。"
        " 您填写的异议理由已保留。"
    ]
    assert "第二位专家漏看了预算附件</textarea>" in body
    assert not Appeal.objects.exists()


def test_service_refuses_a_disguised_attachment_on_the_field(published, owner):
    upload = SimpleUploadedFile("scan.png", PDF)

    with pytest.raises(ValidationError) as error:
        services.submit_appeal(
            application=published[1], by=owner, grounds="理由", attachment=upload
        )

    assert error.value.message_dict == {
        "attachment": ["The file name says “.png” but the content is PDF."]
    }
    assert not Appeal.objects.exists()


@pytest.fixture
def appeal(published, owner):
    return services.submit_appeal(
        application=published[1],
        by=owner,
        grounds="理由",
        attachment=SimpleUploadedFile("预算说明.pdf", PDF),
    )


def test_staff_download_the_attachment_from_appeals(client, appeal, officer):
    client.force_login(officer)

    listing = client.get(reverse("review_appeals:index"))
    response = client.get(reverse("review:appeal_attachment", args=[appeal.pk]))

    link = reverse("review:appeal_attachment", args=[appeal.pk])
    assert f'<a href="{link}">预算说明.pdf</a>' in listing.content.decode()
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")


def test_attachment_is_refused_to_reviewers_and_the_applicant(client, appeal, reviewers, owner):
    url = reverse("review:appeal_attachment", args=[appeal.pk])
    reviewers[0].is_staff = True
    reviewers[0].save(update_fields=["is_staff"])

    client.force_login(reviewers[0])
    as_reviewer = client.get(url)
    client.force_login(owner)
    as_applicant = client.get(url)

    assert as_reviewer.status_code == 403
    # An organization member has no admin at all: sent to their own page.
    assert (as_applicant.status_code, as_applicant["Location"]) == (302, "/me/")


def test_appeal_without_attachment_has_nothing_to_download(client, published, owner, officer):
    appeal = services.submit_appeal(application=published[1], by=owner, grounds="理由")
    client.force_login(officer)

    response = client.get(reverse("review:appeal_attachment", args=[appeal.pk]))

    assert response.status_code == 404


def test_public_notice_counts_appeals_received_and_how_they_ended(call, published, owner, officer):
    first = services.submit_appeal(application=published[1], by=owner, grounds="理由")
    other = MembershipFactory(organization=published[2].organization, role=MemberRole.OWNER).user
    services.submit_appeal(application=published[2], by=other, grounds="理由二")
    services.resolve_appeal(appeal=first, by=officer, upheld=False, resolution="评分无误")
    template = Template("{% load review_tags %}{% call_results call %}")
    call.refresh_from_db()

    with translation.override("zh-hans"):
        zh = template.render(Context({"call": call}))
    with translation.override("en"):
        en = template.render(Context({"call": call}))

    assert "共收到 2 份异议：成立 0 份，不成立 1 份，撤回 0 份，尚未答复 1 份。" in zh
    assert "2 appeals received: 0 upheld, 1 dismissed, 0 withdrawn, 1 not yet answered." in en
    assert "理由" not in zh


def test_public_notice_says_when_no_appeal_was_received(call, published):
    template = Template("{% load review_tags %}{% call_results call %}")
    call.refresh_from_db()

    with translation.override("zh-hans"):
        zh = template.render(Context({"call": call}))

    assert "未收到异议。" in zh
