from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from wagtail.models import ModelLogEntry

from projects.delivery import services
from projects.delivery.enums import DeliveryStage, ReportKind, ReportStatus
from projects.delivery.models import Delivery, DeliveryEvent, ProgressReport
from projects.delivery.services import DeliveryError, advance, current_stage
from projects.enums import ProjectStatus, ProjectTier
from tests.factories.delivery import make_delivery, make_member, pdf_upload
from tests.factories.projects import ProjectFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _sign(delivery, officer):
    services.record_agreement(
        delivery=delivery, upload=pdf_upload("协议.pdf"), signed_on=date(2026, 1, 5), by=officer
    )


def test_approved_funded_project_gets_a_delivery_reserve_does_not():
    funded = ProjectFactory(status=ProjectStatus.APPROVED, tier=ProjectTier.FUNDED_MATCHED)
    reserve = ProjectFactory(status=ProjectStatus.APPROVED, tier=ProjectTier.RESERVE)

    assert current_stage(funded) == DeliveryStage.AGREEMENT_PENDING
    assert current_stage(reserve) is None
    assert list(funded.delivery.events.values_list("from_stage", "to_stage")) == [
        ("", DeliveryStage.AGREEMENT_PENDING)
    ]


def test_start_delivery_copies_budget_and_indicators_of_the_approved_application(
    officer, site_pages
):
    from django.utils import timezone

    from projects.review.models import Decision
    from tests.factories.projects import make_call
    from tests.factories.review import ApplicationFactory

    application = ApplicationFactory(
        call=make_call(),
        answers={
            "budget": {
                "lines": [
                    {
                        "category": "personnel",
                        "item": "社工",
                        "unit": "月",
                        "quantity": 12,
                        "unit_price": 5_000_00,
                        "source": "requested",
                    },
                    {
                        "category": "venue",
                        "item": "场地",
                        "unit": "月",
                        "quantity": 12,
                        "unit_price": 1_000_00,
                        "source": "self",
                    },
                    {
                        "category": "personnel",
                        "item": "社工",
                        "unit": "月",
                        "quantity": 1,
                        "unit_price": 2_000_00,
                        "source": "requested",
                    },
                ]
            },
            "indicators": {
                "lines": [
                    {"kind": "output", "name": "服务人次", "target": "2400", "method": "台账"}
                ]
            },
        },
    )
    project = ProjectFactory(status=ProjectStatus.APPROVED, tier=ProjectTier.RESERVE)
    Decision.objects.create(
        application=application,
        call=application.call,
        rank=1,
        normalised=1,
        tier=ProjectTier.RESERVE,
        project=project,
        published_at=timezone.now(),
    )

    delivery = services.start_delivery(project=project, by=officer)

    assert delivery.budget_lines == [
        {"line": "社工", "category": "personnel", "source": "requested", "amount": 62_000_00},
        {"line": "场地", "category": "venue", "source": "self", "amount": 12_000_00},
    ]
    assert delivery.indicators == [{"kind": "output", "name": "服务人次", "target": "2400"}]
    assert ModelLogEntry.objects.filter(action="delivery.start").count() == 1


def test_full_path_keeps_project_status_and_history(officer, delivery):
    member = make_member(delivery)
    _sign(delivery, officer)

    advance(delivery, DeliveryStage.IN_PROGRESS, by=officer, note="协议已签")
    delivery.refresh_from_db()
    assert delivery.project.status == ProjectStatus.IN_PROGRESS
    advance(delivery, DeliveryStage.MIDTERM, by=officer)
    advance(delivery, DeliveryStage.FINAL, by=officer)
    for line in ("项目社工", "活动物资"):
        services.explain_variance(
            delivery=delivery, budget_line=line, explanation="未支出", by=member
        )
    report = services.submit_report(
        delivery=delivery,
        by=member,
        kind=ReportKind.FINAL,
        period_end=date(2026, 1, 20),
        narrative="全部完成",
        beneficiaries_reached=10,
        today=date(2026, 2, 1),
    )
    services.decide_report(report=report, by=officer, accept=True)
    # What a finalised final evaluation records (delivery.signals.advance_on_evaluation).
    from django.utils import timezone

    delivery.final_evaluation_at = timezone.now()
    delivery.save(update_fields=["final_evaluation_at"])
    advance(delivery, DeliveryStage.CLOSED, by=officer, note="结项")

    delivery.refresh_from_db()
    assert delivery.stage == DeliveryStage.CLOSED
    assert delivery.project.status == ProjectStatus.COMPLETED
    assert list(
        DeliveryEvent.objects.filter(delivery=delivery).values_list(
            "to_stage", "actor__username", "note"
        )
    ) == [
        ("agreement_pending", None, "项目立项后启动执行。"),  # site language
        ("in_progress", officer.username, "协议已签"),
        ("midterm", officer.username, ""),
        ("final", officer.username, ""),
        ("closed", officer.username, "结项"),
    ]
    assert ModelLogEntry.objects.filter(action="delivery.advance").count() == 4
    assert ModelLogEntry.objects.filter(action="delivery.report.accept").count() == 1


def test_out_of_order_move_is_refused_with_a_clear_message(officer, delivery):
    _sign(delivery, officer)

    with pytest.raises(DeliveryError) as error:
        advance(delivery, DeliveryStage.FINAL, by=officer)

    assert error.value.messages == [
        "A funded project cannot move from “Agreement pending” to “Final evaluation”."
    ]
    delivery.refresh_from_db()
    assert delivery.stage == DeliveryStage.AGREEMENT_PENDING
    assert delivery.events.count() == 1


def test_work_cannot_start_without_the_signed_agreement(officer, delivery):
    with pytest.raises(DeliveryError) as error:
        advance(delivery, DeliveryStage.IN_PROGRESS, by=officer)

    assert error.value.messages == ["Upload the signed agreement and its signing date first."]


def test_closing_needs_an_accepted_final_report(officer, english):
    delivery = make_delivery(stage=DeliveryStage.FINAL)

    with pytest.raises(DeliveryError) as error:
        advance(delivery, DeliveryStage.CLOSED, by=officer)

    assert error.value.messages == [
        "“Final report accepted” is missing (The organization's final report is not "
        "accepted yet.): meet it or write why you close without it.",
        "“Final evaluation finalised” is missing (No final evaluation has been "
        "finalised.): meet it or write why you close without it.",
        "“Budget variances above one tenth explained” is missing (Unexplained: "
        "项目社工、活动物资): meet it or write why you close without it.",
    ]


def test_termination_needs_a_reason_and_sets_project_terminated(officer, active):
    with pytest.raises(DeliveryError) as error:
        advance(active, DeliveryStage.TERMINATED, by=officer, note="  ")
    assert error.value.messages == ["Give the reason for terminating the project."]

    advance(active, DeliveryStage.TERMINATED, by=officer, note="机构注销")

    active.refresh_from_db()
    assert (active.stage, active.termination_reason) == ("terminated", "机构注销")
    assert active.project.status == ProjectStatus.TERMINATED
    assert ModelLogEntry.objects.filter(action="delivery.terminate").count() == 1
    with pytest.raises(DeliveryError):
        advance(active, DeliveryStage.IN_PROGRESS, by=officer)


def test_only_staff_advance(delivery):
    member = make_member(delivery)

    with pytest.raises(PermissionDenied):
        advance(delivery, DeliveryStage.TERMINATED, by=member, note="x")

    assert Delivery.objects.get(pk=delivery.pk).stage == DeliveryStage.AGREEMENT_PENDING


def test_agreement_refuses_disguised_and_oversize_files_and_future_dates(
    officer, delivery, settings
):
    fake = SimpleUploadedFile("agreement.pdf", b"just text, not a PDF")
    with pytest.raises(DeliveryError) as error:
        services.record_agreement(
            delivery=delivery, upload=fake, signed_on=date(2026, 1, 1), by=officer
        )
    assert "not accepted" in error.value.messages[0]

    settings.MAX_UPLOAD_SIZE = 100
    with pytest.raises(DeliveryError) as error:
        services.record_agreement(
            delivery=delivery, upload=pdf_upload(size=500), signed_on=date(2026, 1, 1), by=officer
        )
    assert error.value.messages[0].startswith("The file is too large")

    with pytest.raises(DeliveryError) as error:
        services.record_agreement(
            delivery=delivery,
            upload=pdf_upload(),
            signed_on=date(2030, 1, 1),
            by=officer,
            today=date(2026, 1, 1),
        )
    assert error.value.messages == ["The signing date cannot be in the future."]
    delivery.refresh_from_db()
    assert not delivery.agreement


def test_milestones_proposed_by_members_agreed_by_staff(officer, active, member, outsider):
    proposed = services.add_milestone(
        delivery=active, title="启动", due_on=date(2026, 3, 1), deliverables="启动会", by=member
    )
    defined = services.add_milestone(
        delivery=active, title="中期", due_on=date(2026, 6, 1), deliverables="总结", by=officer
    )

    assert (proposed.status, defined.status) == ("proposed", "planned")
    services.decide_milestone(milestone=proposed, accept=True, by=officer)
    proposed.refresh_from_db()
    assert proposed.status == "planned"
    with pytest.raises(PermissionDenied):
        services.add_milestone(
            delivery=active, title="x", due_on=date(2026, 3, 1), deliverables="y", by=outsider
        )
    with pytest.raises(PermissionDenied):
        services.decide_milestone(milestone=defined, accept=False, by=member)
    assert ModelLogEntry.objects.filter(action="delivery.milestone.decide").count() == 1


def test_return_needs_a_message_then_resubmit_then_accept(officer, active, member):
    report = services.submit_report(
        delivery=active,
        by=member,
        kind=ReportKind.INTERIM,
        period_end=date(2026, 2, 1),
        narrative="第一季度",
        beneficiaries_reached=5,
        today=date(2026, 2, 2),
    )

    with pytest.raises(DeliveryError) as error:
        services.decide_report(report=report, by=officer, accept=False)
    assert error.value.messages == ["Tell the organization what to change."]
    services.decide_report(report=report, by=officer, accept=False, message="补充照片")
    report.refresh_from_db()
    assert (report.status, report.return_message) == (ReportStatus.RETURNED, "补充照片")

    with pytest.raises(DeliveryError):  # a returned report is resubmitted, not replaced
        services.submit_report(
            delivery=active,
            by=member,
            kind=ReportKind.INTERIM,
            period_end=date(2026, 2, 1),
            narrative="新的",
            beneficiaries_reached=5,
            today=date(2026, 2, 2),
        )
    services.submit_report(
        delivery=active,
        by=member,
        kind=ReportKind.INTERIM,
        period_end=date(2026, 2, 1),
        narrative="第一季度（修订）",
        beneficiaries_reached=6,
        report=report,
        today=date(2026, 2, 3),
    )
    report.refresh_from_db()
    assert (report.status, report.narrative) == (ReportStatus.RESUBMITTED, "第一季度（修订）")
    services.decide_report(report=report, by=officer, accept=True)

    assert ProgressReport.objects.get(pk=report.pk).status == ReportStatus.ACCEPTED
    assert ModelLogEntry.objects.filter(action="delivery.report.return").count() == 1
    with pytest.raises(DeliveryError):
        services.decide_report(report=report, by=officer, accept=True)


def test_members_only_submit_reports(active, outsider, stranger):
    for user in (outsider, stranger):
        with pytest.raises(PermissionDenied):
            services.submit_report(
                delivery=active,
                by=user,
                kind=ReportKind.INTERIM,
                period_end=date(2026, 2, 1),
                narrative="x",
                beneficiaries_reached=1,
                today=date(2026, 2, 2),
            )

    assert ProgressReport.objects.count() == 0


def test_publishing_results_gives_the_delivery_the_applications_budget(site_pages):
    from django.utils import timezone

    from projects.review.models import Decision
    from tests.factories.projects import make_call
    from tests.factories.review import ApplicationFactory

    application = ApplicationFactory(
        call=make_call(),
        answers={
            "budget": {
                "lines": [
                    {
                        "category": "personnel",
                        "item": "社工",
                        "unit": "月",
                        "quantity": 2,
                        "unit_price": 100_00,
                        "source": "requested",
                    }
                ]
            }
        },
    )
    # As review.services.publish_results does: the project first, then the decision.
    project = ProjectFactory(status=ProjectStatus.APPROVED, tier=ProjectTier.FUNDED_MATCHED)
    assert project.delivery.budget_lines == []
    Decision.objects.create(
        application=application,
        call=application.call,
        rank=1,
        normalised=1,
        tier=ProjectTier.FUNDED_MATCHED,
        project=project,
        published_at=timezone.now(),
    )

    project.delivery.refresh_from_db()
    assert project.delivery.budget_lines == [
        {"line": "社工", "category": "personnel", "source": "requested", "amount": 200_00}
    ]
