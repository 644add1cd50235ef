from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from funding.models import Expenditure
from projects.delivery import services
from projects.delivery.enums import ReportKind, ReportStatus
from projects.delivery.models import ProgressReport
from tests.factories.delivery import jpeg_upload, make_milestone, pdf_upload

pytestmark = pytest.mark.django_db


def _report_post(**overrides):
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
        "exp-TOTAL_FORMS": "1",
        "exp-INITIAL_FORMS": "0",
        "exp-0-budget_line": "项目社工",
        "exp-0-amount": "1200.50",
        "exp-0-spent_on": "2026-02-10",
        "exp-0-description": "社工补贴",
        "exp-0-receipt": pdf_upload(),
        "photo-TOTAL_FORMS": "1",
        "photo-INITIAL_FORMS": "0",
        "photo-0-image": jpeg_upload(),
        "photo-0-caption": "探访",
    }
    data.update(overrides)
    return data


def test_delivery_page_permissions(client, active, member, outsider, officer):
    url = reverse("delivery:detail", args=[active.pk])

    anonymous = client.get(url)
    client.force_login(outsider)
    other = client.get(url)
    client.force_login(member)
    own = client.get(url)
    client.force_login(officer)
    staff = client.get(url)

    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert other.status_code == 404
    assert own.status_code == 200 and staff.status_code == 200
    body = own.content.decode()
    assert active.project.title in body
    assert "项目社工" in body
    assert "撰写进展报告" in body  # the member may report


def test_member_submits_a_report_from_the_site(client, active, member):
    client.force_login(member)

    response = client.post(reverse("delivery:report_create", args=[active.pk]), _report_post())

    report = ProgressReport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("delivery:report", args=[active.pk, report.pk])
    assert (report.status, report.beneficiaries_reached) == (ReportStatus.SUBMITTED, 120)
    assert list(Expenditure.objects.values_list("budget_line", "amount")) == [("项目社工", 120050)]
    assert report.photos.count() == 1
    page = client.get(response["Location"]).content.decode()
    assert "开展入户探访 30 次" in page and "¥1,200.50" in page


def test_report_form_errors_keep_what_was_typed(client, active, member):
    client.force_login(member)

    response = client.post(
        reverse("delivery:report_create", args=[active.pk]),
        _report_post(
            **{"exp-0-amount": "-3", "exp-0-receipt": pdf_upload(), "photo-0-image": jpeg_upload()}
        ),
    )

    body = response.content.decode()
    assert response.status_code == 400
    assert "开展入户探访 30 次" in body  # the narrative typed is back in the form
    assert "0.01" in body  # the amount's error names the minimum
    assert ProgressReport.objects.count() == 0
    assert Expenditure.objects.count() == 0


def test_service_errors_are_shown_in_english_too(client, active, member):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(member)

    response = client.post(
        "/en" + reverse("delivery:report_create", args=[active.pk]),
        _report_post(
            **{
                "exp-0-receipt": SimpleUploadedFile("r.pdf", b"MZ\x90\x00exe"),
                "photo-0-image": jpeg_upload(),
            }
        ),
    )

    body = response.content.decode()
    assert response.status_code == 400
    assert "This kind of file is not accepted" in body
    assert "开展入户探访 30 次" in body
    assert ProgressReport.objects.count() == 0


def test_other_organizations_member_cannot_report(client, active, outsider, stranger):
    url = reverse("delivery:report_create", args=[active.pk])
    client.force_login(outsider)
    other = client.post(url, _report_post())
    client.force_login(stranger)
    nobody = client.post(url, _report_post())

    assert (other.status_code, nobody.status_code) == (404, 404)
    assert ProgressReport.objects.count() == 0


def test_viewer_role_cannot_report(client, active):
    from organizations.enums import MemberRole
    from tests.factories.delivery import make_member

    viewer = make_member(active, role=MemberRole.VIEWER, username="viewer-d")
    client.force_login(viewer)

    response = client.post(reverse("delivery:report_create", args=[active.pk]), _report_post())

    assert response.status_code == 403
    assert ProgressReport.objects.count() == 0


def test_resubmit_a_returned_report(client, active, member, officer):
    report = services.submit_report(
        delivery=active,
        by=member,
        kind=ReportKind.INTERIM,
        period_end=date(2026, 2, 1),
        narrative="初稿",
        beneficiaries_reached=1,
        today=date(2026, 2, 2),
    )
    services.decide_report(report=report, by=officer, accept=False, message="请补充照片")
    client.force_login(member)
    url = reverse("delivery:report_resubmit", args=[active.pk, report.pk])

    form = client.get(url).content.decode()
    response = client.post(url, _report_post(narrative="修订稿", **{"exp-TOTAL_FORMS": "0"}))

    assert "请补充照片" in form and "初稿" in form
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.narrative) == (ReportStatus.RESUBMITTED, "修订稿")


def test_agreement_and_receipts_only_for_staff_and_members(client, officer, delivery, outsider):
    from tests.factories.delivery import make_member

    member = make_member(delivery)
    services.record_agreement(
        delivery=delivery, upload=pdf_upload("协议.pdf"), signed_on=date(2026, 1, 1), by=officer
    )
    url = reverse("delivery:agreement", args=[delivery.pk])

    anonymous = client.get(url)
    client.force_login(outsider)
    other = client.get(url)
    client.force_login(member)
    own = client.get(url)

    assert anonymous.status_code == 302
    assert other.status_code == 404
    assert own.status_code == 200
    assert own["Cache-Control"] == "private, no-store"
    assert b"".join(own.streaming_content).startswith(b"%PDF")


def test_photos_public_only_once_the_report_is_accepted(client, active, member, officer):
    report = services.submit_report(
        delivery=active,
        by=member,
        kind=ReportKind.INTERIM,
        period_end=date(2026, 2, 1),
        narrative="x",
        beneficiaries_reached=1,
        today=date(2026, 2, 2),
        photos=[services.PhotoInput(upload=jpeg_upload())],
    )
    url = reverse("delivery:photo", args=[report.photos.get().pk])

    before = client.get(url)
    services.decide_report(report=report, by=officer, accept=True)
    after = client.get(url)

    assert before.status_code == 404
    assert after.status_code == 200 and after["Content-Type"] == "image/jpeg"


def test_member_proposes_a_milestone_and_explains_variance(client, active, member):
    client.force_login(member)

    client.post(
        reverse("delivery:milestone_propose", args=[active.pk]),
        {"title": "社区议事会", "due_on": "2026-09-01", "deliverables": "会议纪要"},
    )
    client.post(
        reverse("delivery:explain_variance", args=[active.pk]),
        {"budget_line": "活动物资", "explanation": "改为线上活动"},
    )

    assert list(active.milestones.values_list("title", "status")) == [("社区议事会", "proposed")]
    assert active.variance_explanations.get().explanation == "改为线上活动"


def test_dashboard_lists_funded_projects(client, active, member, stranger):
    client.force_login(member)
    mine = client.get(reverse("organizations:dashboard")).content.decode()
    client.force_login(stranger)
    theirs = client.get(reverse("organizations:dashboard")).content.decode()

    assert reverse("delivery:detail", args=[active.pk]) in mine
    assert "项目执行" in mine
    assert reverse("delivery:detail", args=[active.pk]) not in theirs


def _public_project(active, member, officer, n):
    today = timezone.localdate()
    for i in range(n):
        milestone = make_milestone(active, title=f"里程碑{i}", due_on=today - timedelta(days=i))
        report = services.submit_report(
            delivery=active,
            by=member,
            kind=ReportKind.INTERIM,
            milestone=milestone,
            period_end=today,
            narrative="x",
            beneficiaries_reached=1,
            photos=[services.PhotoInput(upload=jpeg_upload(), caption=f"照片{i}")],
            expenditures=[
                services.ExpenditureInput(
                    budget_line="项目社工", amount=100, spent_on=today, receipt=pdf_upload()
                )
            ],
        )
        services.decide_report(report=report, by=officer, accept=True)


@pytest.mark.parametrize("n", [1, 3])
def test_public_section_shows_timeline_with_constant_queries(
    client, site_pages, active, member, officer, n
):
    from projects.delivery.selectors import public_section

    _public_project(active, member, officer, n)
    project = active.project

    with CaptureQueriesContext(connection) as queries:
        section = public_section(project.pk)
    count = len(queries)  # before the page request resets the query log
    html = client.get(project.get_absolute_url()).content.decode()

    assert count == 5  # + spending awaiting review (reports not accepted yet)
    assert len(section["milestones"]) == n
    assert "执行情况" in html
    assert f"里程碑{n - 1}" in html and f"照片{n - 1}" in html
    assert html.count('src="/delivery/photos/') == n
    assert "¥100,000.00" in html  # budget total of the two lines


def test_public_section_absent_without_delivery(client, site_pages):
    from projects.enums import ProjectStatus, ProjectTier
    from tests.factories.projects import ProjectFactory

    project = ProjectFactory(status=ProjectStatus.APPROVED, tier=ProjectTier.RESERVE)

    html = client.get(project.get_absolute_url()).content.decode()

    assert 'id="delivery-heading"' not in html


def test_new_report_page_redirects_while_a_report_is_open(client, active, member):
    services.submit_report(
        delivery=active,
        by=member,
        kind=ReportKind.INTERIM,
        period_end=date(2026, 2, 1),
        narrative="x",
        beneficiaries_reached=1,
        today=date(2026, 2, 2),
    )
    client.force_login(member)

    response = client.get(reverse("delivery:report_create", args=[active.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("delivery:detail", args=[active.pk])
    page = client.get(response["Location"]).content.decode()
    assert "只有在项目执行期间且没有其他待处理报告时" in page


def test_refusal_page_is_translated_and_in_the_site_layout(client, active, site_pages):
    from organizations.enums import MemberRole
    from tests.factories.delivery import make_member

    viewer = make_member(active, role=MemberRole.VIEWER, username="viewer-403")
    client.force_login(viewer)

    response = client.post(reverse("delivery:report_create", args=[active.pk]), _report_post())

    body = response.content.decode()
    assert response.status_code == 403
    assert "<h1>无权访问</h1>" in body and 'class="brand"' in body
