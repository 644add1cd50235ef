"""Real blind review (#14 item 4): roster declaration, masked proposals, clean export."""

import json

import pytest
from django.urls import reverse
from django.utils import translation

from portal.privacy import export_person_data
from projects.review import blind, services
from projects.review.enums import AssignmentStatus
from projects.review.models import Assignment, ConflictOfInterest, RosterDeclaration
from tests.factories.organizations import OrganizationFactory
from tests.factories.review import ApplicationFactory

pytestmark = pytest.mark.django_db

ANSWERS = {
    "basic": {
        "summary": "阳光社工服务中心（统一社会信用代码 {code}）由阳光社工的骨干发起，联系人张三。",
        "contact_name": "张三",
        "contact_phone": "13812345678",
    },
    "team": {"lines": [{"name": "王小明", "role": "项目主管"}]},
    "risks": {"lines": [{"risk": "SUNSHINE social work centre staff turnover"}]},
}


@pytest.fixture
def sunshine(db):
    return OrganizationFactory(name="阳光社工服务中心", contact_name="张三")


def _answers(org):
    data = json.loads(json.dumps(ANSWERS).replace("{code}", org.credit_code))
    return data


def test_anonymise_application_masks_names_code_contacts_in_both_languages(call, sunshine):
    application = ApplicationFactory(
        call=call, organization=sunshine, title="阳光社工长者助餐", answers=_answers(sunshine)
    )

    with translation.override("zh-hans"):
        zh = blind.anonymise_application(application)
    with translation.override("en"):
        en = blind.anonymise_application(application)

    assert zh.title == "某机构长者助餐"
    assert zh.answers["basic"] == {
        "summary": "某机构（统一社会信用代码 某机构）由某机构的骨干发起，联系人某机构。"
    }
    assert zh.answers["team"] == {"lines": [{"name": "—", "role": "项目主管"}]}
    assert en.title == "an organization长者助餐"
    assert sunshine.credit_code not in json.dumps(en.answers, ensure_ascii=False)


def test_mask_text_is_case_insensitive_and_longest_first():
    assert blind.mask_text("Sunshine Centre and sunshine", ["Sunshine", "Sunshine Centre"]) == (
        "an organization and an organization"
    )


@pytest.fixture
def blind_call(call, config, reviewers, sunshine):
    config.blind = True
    config.save()
    mine = ApplicationFactory(call=call, organization=sunshine, answers=_answers(sunshine))
    other = ApplicationFactory(call=call, organization=OrganizationFactory(name="晨光志愿者协会"))
    a_mine = Assignment.objects.create(application=mine, reviewer=reviewers[0])
    a_other = Assignment.objects.create(application=other, reviewer=reviewers[0])
    return {"sunshine": (mine, a_mine), "other": (other, a_other)}


def test_blind_proposal_redirects_to_roster_until_declared(client, call, blind_call, reviewers):
    _app, assignment = blind_call["sunshine"]
    client.force_login(reviewers[0])

    response = client.get(reverse("review:assignment", args=[assignment.pk]))
    roster = client.get(reverse("review:roster", args=[call.pk])).content.decode()

    assert response.status_code == 302
    assert response["Location"] == reverse("review:roster", args=[call.pk])
    assert "阳光社工服务中心" in roster
    assert "晨光志愿者协会" in roster
    assert _app.title not in roster
    assert reverse("review:assignment", args=[assignment.pk]) not in roster


def test_roster_conflict_without_reason_is_refused_next_to_field(
    client, call, blind_call, reviewers, sunshine
):
    client.force_login(reviewers[0])

    response = client.post(
        reverse("review:roster", args=[call.pk]), {f"conflict_{sunshine.pk}": "on"}
    )

    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors[f"reason_{sunshine.pk}"] == ["请填写回避理由。"]
    assert not RosterDeclaration.objects.exists()
    assert not ConflictOfInterest.objects.exists()


def test_roster_declaration_recuses_and_accepts_then_proposal_is_masked(
    client, call, blind_call, reviewers, sunshine
):
    client.force_login(reviewers[0])
    mine, a_mine = blind_call["sunshine"]
    other, a_other = blind_call["other"]

    client.post(
        reverse("review:roster", args=[call.pk]),
        {f"conflict_{other.organization_id}": "on", f"reason_{other.organization_id}": "曾任理事"},
    )
    page = client.get(reverse("review:assignment", args=[a_mine.pk]))

    statuses = dict(Assignment.objects.values_list("pk", "status"))
    assert statuses == {a_mine.pk: AssignmentStatus.ACCEPTED, a_other.pk: AssignmentStatus.CONFLICT}
    body = page.content.decode()
    assert page.status_code == 200
    assert "阳光社工" not in body
    assert sunshine.credit_code not in body
    assert "13812345678" not in body
    assert "王小明" not in body
    assert "某机构" in body
    queue = client.get(reverse("review:queue")).content.decode()
    assert "阳光社工" not in queue


def test_reviewer_data_export_holds_no_organization_id(call, blind_call, reviewers, sunshine):
    other, _a = blind_call["other"]
    services.declare_roster(
        call=call, by=reviewers[0], conflicts={other.organization_id: "曾任理事"}
    )

    export = export_person_data(reviewers[0])

    rows = export["records"]["review.conflictofinterest.reviewer"]
    assert [sorted(row) for row in rows] == [["created_at", "id", "reason", "reviewer_id"]]
    declarations = export["records"]["review.rosterdeclaration.reviewer"]
    assert "organizations" not in declarations[0]
    text = json.dumps(export, default=str)
    assert '"organization_id"' not in text


def test_anonymised_report_for_blind_reviewers_names_nobody(call, config, sunshine, reviewers):
    """The PDF a blind call's reviewer may read after results: no organization name in
    the title, the facts or the other reviewers' comments (the full report keeps them)."""
    from django.utils import timezone

    from projects.review.enums import ReviewStatus
    from projects.review.models import Review
    from projects.review.report_kinds import (
        anonymised_application_context,
        application_context,
    )

    application = ApplicationFactory(
        call=call, organization=sunshine, title="阳光社工长者助餐", answers=_answers(sunshine)
    )
    assignment = Assignment.objects.create(
        application=application, reviewer=reviewers[0], status=AssignmentStatus.ACCEPTED
    )
    Review.objects.create(
        assignment=assignment,
        rubric=config.rubric,
        status=ReviewStatus.SUBMITTED,
        submitted_at=timezone.now(),
        total=80,
        strengths="阳光社工服务中心经验丰富，张三负责。",
    )

    with translation.override("zh-hans"):
        full = application_context(application)
        masked = anonymised_application_context(application)
        organization_label = translation.gettext("Organization")

    assert full["organization_name"] == "阳光社工服务中心"
    assert "阳光社工服务中心" in full["reviews"][0]["strengths"]
    assert masked["title"] == "某机构长者助餐"
    assert masked["organization_name"] == "某机构"
    assert masked["reviews"][0]["strengths"] == "某机构经验丰富，某机构负责。"
    assert dict(full["cover_facts"])[organization_label] == "阳光社工服务中心"
    assert dict(masked["cover_facts"])[organization_label] == "某机构"
    # the rank and decision would name the organization through the public results
    assert masked["entry"] is None and masked["decision"] is None
    assert len(masked["cover_facts"]) == 3
    rendered = json.dumps(
        {k: v for k, v in masked.items() if isinstance(v, str | list)}, ensure_ascii=False
    )
    assert "阳光社工" not in rendered and "张三" not in rendered


def test_blind_reviewer_gets_the_anonymised_report_after_results(
    client, call, config, blind_call, reviewers, sunshine
):
    import io
    from datetime import timedelta

    from django.utils import timezone
    from pypdf import PdfReader

    from projects.review.enums import ReviewStatus
    from projects.review.models import Review

    mine, a_mine = blind_call["sunshine"]
    services.declare_roster(call=call, by=reviewers[0], conflicts={})
    a_mine.refresh_from_db()
    Review.objects.create(
        assignment=a_mine,
        rubric=config.rubric,
        status=ReviewStatus.SUBMITTED,
        submitted_at=timezone.now(),
        total=75,
    )
    client.force_login(reviewers[0])
    anonymised = reverse("report_download", args=["application_anonymised", mine.pk, "zh-hans"])
    full = reverse("report_download", args=["application", mine.pk, "zh-hans"])

    before = client.get(reverse("review:queue")).content.decode()
    assert anonymised not in before  # results not published yet
    assert client.get(anonymised).status_code == 403

    call.notice_published_at = timezone.now() - timedelta(hours=1)
    call.save(update_fields=["notice_published_at"])
    queue = client.get(reverse("review:queue")).content.decode()

    assert anonymised in queue
    assert full not in queue
    assert client.get(full).status_code == 403
    response = client.get(anonymised)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "".join(
        page.extract_text()
        for page in PdfReader(io.BytesIO(b"".join(response.streaming_content))).pages
    )
    assert "某机构" in text
    assert "阳光社工" not in text


def test_short_name_is_masked_too(call, sunshine):
    sunshine.short_name = "夕阳红"
    sunshine.save(update_fields=["short_name"])
    application = ApplicationFactory(call=call, organization=sunshine, title="夕阳红长者助餐")

    with translation.override("zh-hans"):
        masked = blind.anonymise_application(application)

    assert masked.title == "某机构长者助餐"
