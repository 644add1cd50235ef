import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from funding.enums import Anonymity, DonationSource, DonationStatus, ImportStatus
from funding.errors import FourEyesViolation
from funding.models import Donation, ImportBatch, LedgerTransaction
from funding.services.imports import approve_import, commit_import, reject_import
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


def test_import_csv_creates_donations_and_matches(project, tmp_path, capsys, finance_users):
    pool = funded_pool(100_000)
    path = _write(
        tmp_path,
        HEADER + "A1,imp-proj,100,李四,ls@example.org,"
        f"{_today()},加油,\nA2,imp-proj,50.5,,,{_today()} 10:00,,是\n",
    )

    call_command("import_donations", path, "--source", "generic")
    approve_import(batch=ImportBatch.objects.get(), approved_by=finance_users[0])

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
    assert "imported 2 donations, skipped 0 already imported; batch" in capsys.readouterr().out
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


CSV = HEADER + "F1,imp-proj,100,,,{day},,\nF2,imp-proj,50,,,{day},,\n"


def test_import_counts_nothing_until_a_second_officer_approves(project, finance_users):
    pool = funded_pool(100_000)
    first, second = finance_users
    batch = commit_import(
        content=CSV.format(day=_today()).encode(), source="generic", file_name="f.csv", by=first
    )
    waiting = (
        set(Donation.objects.values_list("status", flat=True)),
        LedgerTransaction.objects.filter(kind="donation").count(),
        pool_available(pool),
    )

    with pytest.raises(FourEyesViolation):
        approve_import(batch=batch, approved_by=first)
    approve_import(batch=batch, approved_by=second)

    batch.refresh_from_db()
    assert waiting == ({DonationStatus.AWAITING_APPROVAL}, 0, 100_000)
    assert (batch.status, batch.approved_by, batch.total) == (ImportStatus.APPROVED, second, 15_000)
    assert set(Donation.objects.values_list("status", flat=True)) == {DonationStatus.SUCCEEDED}
    assert Donation.objects.filter(receipt__isnull=False).count() == 2
    assert pool_available(pool) == 100_000 - 15_000
    assert reconcile().ok


def test_rejected_import_never_counts_and_frees_its_ids(project, finance_users):
    first, second = finance_users
    content = CSV.format(day=_today()).encode()
    batch = commit_import(content=content, source="generic", file_name="f.csv", by=first)

    reject_import(batch=batch, rejected_by=second, reason="wrong export")
    again = commit_import(content=content, source="generic", file_name="f2.csv", by=first)

    assert ImportBatch.objects.get(pk=batch.pk).status == ImportStatus.REJECTED
    assert (again.created_count, again.skipped_count) == (2, 0)
    assert LedgerTransaction.objects.filter(kind="donation").count() == 0
    assert reconcile().ok


def test_admin_import_then_other_officer_approves(client, project, finance_users):
    first, second = finance_users
    for user in finance_users:
        user.is_staff = True
        user.save()
    batch = commit_import(
        content=CSV.format(day=_today()).encode(), source="generic", file_name="f.csv", by=first
    )
    url = f"/admin/funding_donations/import/{batch.pk}/"
    client.force_login(first)
    own = client.post(url, {"action": "approve"}, follow=True)
    client.force_login(second)

    page = client.get(url).content.decode()
    client.post(url, {"action": "approve"})

    assert "须由另一位财务人员复核。" in own.content.decode()
    assert 'value="approve"' in page
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportStatus.APPROVED
    assert Donation.objects.filter(status=DonationStatus.SUCCEEDED).count() == 2
