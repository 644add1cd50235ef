"""The 结项报告 (project final report PDF) shows the final narrative, beneficiaries,
photos, tranches, leftover money and how the project was closed."""

import io

import pytest
from pypdf import PdfReader

from funding.enums import LeftoverDestination
from funding.services.leftover import approve_leftover, record_leftover
from organizations.roles import FINANCE_OFFICER, PROGRAMME_OFFICER
from portal.core.reports import build_report, is_stale, render_report, store_report
from projects.delivery.closing import close_project
from projects.delivery.models import ReportPhoto
from projects.delivery.services import reencode_photo
from tests.delivery.test_closing import make_final, staff
from tests.factories.delivery import jpeg_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer():
    return staff(PROGRAMME_OFFICER, "report-officer")


@pytest.fixture
def finance():
    return staff(FINANCE_OFFICER, "report-fin-a"), staff(FINANCE_OFFICER, "report-fin-b")


@pytest.fixture
def final(officer):
    return make_final(officer)


def _close(final, finance, officer):
    report = final.reports.get()
    content, width, height = reencode_photo(jpeg_upload(size=(320, 240)))
    photo = ReportPhoto(report=report, caption="长者活动", width=width, height=height)
    photo.image.save(content.name, content, save=False)
    photo.save()
    transfer = record_leftover(
        project=final.project,
        destination=LeftoverDestination.GENERAL,
        reference="BANK-RET-7",
        recorded_by=finance[0],
    )
    approve_leftover(transfer=transfer, approved_by=finance[1])
    close_project(
        delivery=final,
        by=officer,
        overrides={"final_evaluation": "评估机构未出具报告"},
        note="如期结项",
    )


def test_final_report_has_the_closing_sections(final, finance, officer):
    _close(final, finance, officer)

    _template, context = build_report("project", final.project.pk, "zh-hans")

    extra = context["data"].extra
    assert extra["final_report"].narrative == "全部完成"
    assert extra["accepted_reports"] == [
        {"kind": "结项报告", "period_end": final.reports.get().period_end, "beneficiaries": 120}
    ]
    assert [p["caption"] for p in extra["photos"]] == ["长者活动"]
    assert extra["photos"][0]["uri"].startswith("data:image/jpeg;base64,")
    assert [(t["tranche"], t["amount"], t["status"]) for t in extra["tranches"]] == [
        (1, 100_000, "已复核并支付")
    ]
    assert [
        (t["destination"], t["undisbursed"], t["unspent"]) for t in extra["leftover_transfers"]
    ] == [("退回综合基金", 20_000, 40_000)]
    assert extra["leftover_now"] == {"undisbursed": 0, "unspent": 0}
    assert extra["closure"]["overrides"] == [("末期评估已定稿", "评估机构未出具报告")]


def test_pdf_text_shows_them_and_a_change_makes_the_stored_copy_stale(final, finance, officer):
    store_report("project", final.project.pk, "zh-hans")
    _close(final, finance, officer)

    pdf = render_report("project", final.project.pk, "zh-hans")

    assert is_stale("project", final.project.pk, "zh-hans")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for expected in (
        "结项总结",
        "全部完成",
        "受益人数",
        "拨付期次",
        "¥1,000.00",
        "结余资金",
        "退回综合基金",
        "¥200.00",
        "¥400.00",
        "未满足“末期评估已定稿”即结项：评估机构未出具报告",
        "长者活动",
    ):
        assert expected in text, expected
