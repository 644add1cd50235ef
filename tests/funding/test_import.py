import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from funding.enums import Anonymity, DonationSource
from funding.models import Donation, ImportBatch
from funding.services.matching import pool_available
from funding.services.reconcile import reconcile
from tests.factories.funding import MatchedProjectFactory, MatchingRuleFactory, funded_pool

pytestmark = pytest.mark.django_db
HEADER = "external_id,project_slug,amount_yuan,donor_name,donor_email,date,message,anonymous\n"


@pytest.fixture
def project():
    MatchingRuleFactory()
    return MatchedProjectFactory(slug="imp-proj")


def _write(tmp_path, text, name="export.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8-sig")
    return str(path)


def test_import_csv_creates_donations_and_matches(project, tmp_path, capsys):
    pool = funded_pool(100_000)
    path = _write(
        tmp_path,
        HEADER + "A1,imp-proj,100,李四,ls@example.org,"
        f"{_today()},加油,\nA2,imp-proj,50.5,,,{_today()} 10:00,,是\n",
    )

    call_command("import_donations", path, "--source", "generic")

    rows = list(
        Donation.objects.order_by("external_id").values_list(
            "external_id", "amount", "source", "anonymity"
        )
    )
    assert rows == [
        ("A1", 10_000, DonationSource.IMPORT, Anonymity.NONE),
        ("A2", 5_050, DonationSource.IMPORT, Anonymity.HIDE_NAME),
    ]
    assert pool_available(pool) == 100_000 - 15_050
    assert "imported 2 donations, skipped 0" in capsys.readouterr().out
    assert reconcile().ok


def test_import_same_file_twice_is_idempotent(project, tmp_path, capsys):
    path = _write(tmp_path, HEADER + f"A1,imp-proj,100,,,{_today()},,\n")

    call_command("import_donations", path, "--source", "generic")
    call_command("import_donations", path, "--source", "generic")

    assert Donation.objects.count() == 1
    assert "imported 0 donations, skipped 1" in capsys.readouterr().out
    assert list(ImportBatch.objects.values_list("created_count", flat=True)) == [0, 1]


def test_import_bad_row_imports_nothing(project, tmp_path, capsys):
    path = _write(
        tmp_path,
        HEADER + f"A1,imp-proj,100,,,{_today()},,\n"
        f"A2,nope,100,,,{_today()},,\nA3,imp-proj,-5,,,yesterday,,\n"
        f"A1,imp-proj,1,,,{_today()},,\n",
    )

    with pytest.raises(CommandError) as exc:
        call_command("import_donations", path, "--source", "generic")

    err = capsys.readouterr().err
    assert str(exc.value) == "rejected: 3 bad rows; nothing imported"
    assert "row 3: unknown project 'nope'" in err
    assert "row 4: bad amount '-5'; date must look like 2026-11-20" in err
    assert "row 5: external id A1 appears twice in the file" in err
    assert Donation.objects.count() == 0


def test_import_xlsx_with_platform_mapping(project, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(
        ["捐赠单号", "项目标识", "捐赠金额（元）", "捐赠人", "邮箱", "捐赠时间", "留言", "是否匿名"]
    )
    ws.append(["T-9", "imp-proj", 20, "王五", "", _today(), "", "否"])
    buf = io.BytesIO()
    wb.save(buf)
    path = tmp_path / "tencent.xlsx"
    path.write_bytes(buf.getvalue())

    call_command("import_donations", str(path), "--source", "tencent")

    donation = Donation.objects.get()
    assert (donation.external_id, donation.import_source, donation.amount, donation.donor_name) == (
        "T-9",
        "tencent",
        2_000,
        "王五",
    )


def test_import_missing_columns_rejected(project, tmp_path, capsys):
    path = _write(tmp_path, "id,amount\n1,2\n")

    with pytest.raises(CommandError):
        call_command("import_donations", path, "--source", "generic")

    assert "row 1: missing columns: external_id, project_slug, amount_yuan, date" in (
        capsys.readouterr().err
    )


def _today():
    from django.utils import timezone

    return timezone.localdate().isoformat()
