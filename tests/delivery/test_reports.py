import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from funding.models import Expenditure
from projects.delivery import services
from projects.delivery.enums import ReportKind
from projects.delivery.models import ProgressReport, ReportPhoto
from projects.delivery.services import (
    DeliveryError,
    ExpenditureInput,
    IndicatorInput,
    PhotoInput,
)
from tests.factories.delivery import jpeg_upload, make_milestone, pdf_upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
TODAY = date(2026, 3, 1)


def _submit(delivery, member, **kwargs):
    fields = {
        "kind": ReportKind.INTERIM,
        "period_end": date(2026, 2, 28),
        "narrative": "开展探访 30 次",
        "beneficiaries_reached": 120,
        "today": TODAY,
    }
    fields.update(kwargs)
    return services.submit_report(delivery=delivery, by=member, **fields)


def _spend(line, amount, receipt=None):
    return ExpenditureInput(
        budget_line=line,
        amount=amount,
        spent_on=date(2026, 2, 10),
        description="物资",
        receipt=receipt or pdf_upload(),
    )


def test_report_records_expenditures_indicators_and_clean_photos(active, member):
    milestone = make_milestone(active)

    report = _submit(
        active,
        member,
        milestone=milestone,
        indicators=[IndicatorInput(name="服务人次", target="2400", actual=Decimal("800"))],
        expenditures=[_spend("项目社工", 10_000_00), _spend("活动物资", 2_500_50)],
        photos=[PhotoInput(upload=jpeg_upload(), caption="探访")],
    )

    assert sorted(
        Expenditure.objects.filter(project=active.project).values_list("budget_line", "amount")
    ) == [("活动物资", 2_500_50), ("项目社工", 10_000_00)]
    assert report.expenditures.count() == 2
    assert list(report.indicator_actuals.values_list("name", "target", "actual")) == [
        ("服务人次", "2400", Decimal("800.00"))
    ]
    photo = ReportPhoto.objects.get(report=report)
    from PIL import Image

    with photo.image.open("rb") as f:
        data = f.read()
    stored = Image.open(io.BytesIO(data))
    assert stored.format == "JPEG"
    assert dict(stored.getexif()) == {}
    assert b"SecretCam" not in data
    rows = {r.line: r for r in services.budget_vs_actual(active)}
    assert (rows["项目社工"].budget, rows["项目社工"].actual, rows["项目社工"].variance) == (
        60_000_00,
        10_000_00,
        -50_000_00,
    )


def test_bad_receipt_saves_nothing(active, member):
    fake = SimpleUploadedFile("receipt.pdf", b"MZ\x90\x00 an executable")

    with pytest.raises(DeliveryError) as error:
        _submit(active, member, expenditures=[_spend("项目社工", 100, receipt=fake)])

    assert "not accepted" in error.value.messages[0]
    assert ProgressReport.objects.count() == 0
    assert Expenditure.objects.count() == 0


@pytest.mark.parametrize(
    ("photo", "expected"),
    [
        (SimpleUploadedFile("x.jpg", b"<svg xmlns='http://www.w3.org/2000/svg'/>"), "not accepted"),
        (SimpleUploadedFile("x.png", jpeg_upload().read()), "says"),
    ],
)
def test_bad_photo_saves_nothing(active, member, photo, expected):
    with pytest.raises(DeliveryError) as error:
        _submit(
            active,
            member,
            expenditures=[_spend("项目社工", 100)],
            photos=[PhotoInput(upload=photo)],
        )

    assert expected in " ".join(error.value.messages)
    assert (ProgressReport.objects.count(), Expenditure.objects.count()) == (0, 0)


def test_oversize_photo_refused(active, member, monkeypatch):
    monkeypatch.setattr(services, "PHOTO_MAX_SIZE", 100)

    with pytest.raises(DeliveryError) as error:
        _submit(active, member, photos=[PhotoInput(upload=jpeg_upload(size=(300, 300)))])

    assert error.value.messages[0].startswith("The file is too large")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"beneficiaries_reached": -1},
            "The number of beneficiaries must be between 0 and 10,000,000.",
        ),
        (
            {"beneficiaries_reached": 10**9},
            "The number of beneficiaries must be between 0 and 10,000,000.",
        ),
        ({"period_end": date(2027, 1, 1)}, "The reporting period cannot end in the future."),
        ({"narrative": "  "}, "Describe what was done in this period."),
        (
            {
                "expenditures": [
                    ExpenditureInput(
                        budget_line="项目社工", amount=-5, spent_on=date(2026, 2, 1), receipt=None
                    )
                ]
            },
            "Each amount must be more than 0 and at most ¥100,000,000.00.",
        ),
        (
            {
                "expenditures": [
                    ExpenditureInput(
                        budget_line="项目社工",
                        amount=10**15,
                        spent_on=date(2026, 2, 1),
                        receipt=None,
                    )
                ]
            },
            "Each amount must be more than 0 and at most ¥100,000,000.00.",
        ),
    ],
)
def test_bad_numbers_and_dates_are_refused(active, member, kwargs, message):
    with pytest.raises(DeliveryError) as error:
        _submit(active, member, **kwargs)

    assert message in error.value.messages
    assert ProgressReport.objects.count() == 0


def test_unknown_budget_line_and_negative_indicator_refused(active, member):
    with pytest.raises(DeliveryError) as error:
        _submit(
            active,
            member,
            expenditures=[_spend("不存在的科目", 100)],
            indicators=[IndicatorInput(name="满意度", target="90", actual=Decimal(-1))],
        )

    assert error.value.messages == [
        "The actual value of “满意度” must be a number of 0 or more.",
        "“不存在的科目” is not a line of the approved budget.",
    ]


def test_final_report_needs_explanations_for_lines_off_by_more_than_ten_percent(active, member):
    spend = [_spend("项目社工", 60_000_00), _spend("活动物资", 30_000_00)]  # 0% and −25%

    with pytest.raises(DeliveryError) as error:
        _submit(active, member, kind=ReportKind.FINAL, expenditures=spend)

    assert error.value.messages == [
        "Explain the variance of these budget lines (more than 10%) before submitting the "
        "final report: 活动物资."
    ]
    assert Expenditure.objects.count() == 0
    services.explain_variance(
        delivery=active, budget_line="活动物资", explanation="物资由企业捐赠，节省支出。", by=member
    )

    report = _submit(
        active,
        member,
        kind=ReportKind.FINAL,
        expenditures=[_spend("项目社工", 60_000_00), _spend("活动物资", 30_000_00)],
    )

    assert report.kind == ReportKind.FINAL
    rows = {r.line: r for r in services.budget_vs_actual(active)}
    assert (rows["活动物资"].variance_bps, rows["活动物资"].needs_explanation) == (2500, True)
    assert rows["项目社工"].needs_explanation is False


def test_second_report_refused_while_one_is_open(active, member):
    _submit(active, member)

    with pytest.raises(DeliveryError) as error:
        _submit(active, member)

    assert error.value.messages == [
        "A report is still open; wait for the decision or resubmit the returned one."
    ]


def test_reports_only_while_in_progress(delivery):
    from tests.factories.delivery import make_member

    member = make_member(delivery)

    with pytest.raises(DeliveryError) as error:
        _submit(delivery, member)

    assert error.value.messages == [
        "Progress can only be reported while the project is in progress."
    ]


def test_accepting_a_report_completes_its_milestone(active, member, officer):
    milestone = make_milestone(active)
    report = _submit(active, member, milestone=milestone)

    services.decide_report(report=report, by=officer, accept=True)

    milestone.refresh_from_db()
    assert (milestone.status, milestone.completed_on) == ("completed", date(2026, 2, 28))
