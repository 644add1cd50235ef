"""The progress report form: blank extra rows are optional (no required mark), and a
rejected receipt or photo is reported next to its own field, with what was typed kept."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from projects.delivery.models import ProgressReport
from tests.factories.delivery import jpeg_upload, pdf_upload

pytestmark = pytest.mark.django_db


def _post(**overrides):
    data = {
        "kind": "interim",
        "milestone": "",
        "period_end": "2026-02-28",
        "narrative": "开展入户探访 30 次",
        "beneficiaries_reached": "120",
        "ind-TOTAL_FORMS": "1",
        "ind-INITIAL_FORMS": "1",
        "ind-0-name": "服务人次",
        "ind-0-target": "2400",
        "ind-0-actual": "800",
        "exp-TOTAL_FORMS": "2",
        "exp-INITIAL_FORMS": "0",
        "exp-0-budget_line": "项目社工",
        "exp-0-amount": "1200.50",
        "exp-0-spent_on": "2026-02-10",
        "exp-0-description": "社工补贴",
        "exp-0-receipt": pdf_upload(),
        "exp-1-budget_line": "",
        "exp-1-amount": "",
        "exp-1-spent_on": "",
        "exp-1-description": "",
        "photo-TOTAL_FORMS": "2",
        "photo-INITIAL_FORMS": "0",
        "photo-0-image": jpeg_upload(),
        "photo-0-caption": "探访",
        "photo-1-caption": "",
    }
    data.update(overrides)
    return data


def _field_block(body: str, field_id: str) -> str:
    """The ``<div class="field">`` that holds the input ``field_id``."""
    start = body.index(f'<label for="{field_id}"')
    start = body.rindex('<div class="field', 0, start)
    return body[start : body.index("</div>", start)]


def test_blank_extra_rows_show_no_required_mark_but_main_fields_do(client, active, member):
    client.force_login(member)

    body = client.get(reverse("delivery:report_create", args=[active.pk])).content.decode()

    assert "<abbr" in _field_block(body, "id_narrative")
    for field_id in (
        "id_exp-0-amount",
        "id_exp-0-receipt",
        "id_exp-2-spent_on",
        "id_photo-0-image",
    ):
        assert "<abbr" not in _field_block(body, field_id), field_id
    assert "留空的行不会保存" in body  # the hint that explains it


def test_rejected_receipt_is_shown_next_to_its_field_and_typing_is_kept(client, active, member):
    client.force_login(member)

    response = client.post(
        reverse("delivery:report_create", args=[active.pk]),
        _post(**{"exp-0-receipt": SimpleUploadedFile("r.pdf", b"MZ\x90\x00exe")}),
    )

    body = response.content.decode()
    assert response.status_code == 400
    receipt = _field_block(body, "id_exp-0-receipt")
    assert "has-error" in receipt and "不接受此类文件" in receipt
    # A used row now shows its required marks; the blank one still does not.
    assert "<abbr" in _field_block(body, "id_exp-0-amount")
    assert "<abbr" not in _field_block(body, "id_exp-1-amount")
    assert "开展入户探访 30 次" in body
    assert re.search(r'name="exp-0-amount"[^>]*value="1200.50"', body)
    assert 'value="社工补贴"' in body
    assert ProgressReport.objects.count() == 0


def test_rejected_photo_is_shown_next_to_its_field(client, active, member):
    client.force_login(member)

    response = client.post(
        "/en" + reverse("delivery:report_create", args=[active.pk]),
        _post(**{"photo-0-image": SimpleUploadedFile("p.jpg", b"not an image at all")}),
    )

    body = response.content.decode()
    assert response.status_code == 400
    photo = _field_block(body, "id_photo-0-image")
    assert "has-error" in photo and "not accepted" in photo
    assert 'value="探访"' in body
    assert ProgressReport.objects.count() == 0
