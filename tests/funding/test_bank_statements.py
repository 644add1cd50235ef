"""Bank statements: lines carrying a pledge's code are proposed, confirmed by finance,
recorded as offline gifts under the four-eyes rule; nothing counts twice; bad files are
clear errors (issue #16)."""

import io
from datetime import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from funding.enums import DonationStatus, OfflineMethod, StatementLineStatus
from funding.errors import FourEyesViolation, InvalidTransition
from funding.models import BankStatement, BankStatementLine, Donation
from funding.services.donations import approve_offline_donation, record_offline_donation
from funding.services.pledges import create_pledge
from funding.services.statements import (
    StatementRejected,
    confirm_statement_match,
    dismiss_statement_match,
    import_statement,
    reference_in,
)
from tests.factories.funding import MatchedProjectFactory, MatchingRuleFactory
from tests.factories.review import make_officer

pytestmark = pytest.mark.django_db
URL = "/admin/funding_donations/statements/"
ICBC_HEADER = "交易日期,借方发生额,贷方发生额,余额,对方户名,对方账号,摘要,附言,交易流水号"


@pytest.fixture
def project():
    MatchingRuleFactory()
    return MatchedProjectFactory(slug="give-here")


def make_pledge(project, amount=30_000, email="p@example.org"):
    return create_pledge(
        project=project,
        amount=amount,
        method=OfflineMethod.BANK_TRANSFER,
        donor_email=email,
        donor_name="王五",
    )


def icbc_csv(*lines: str, encoding="gb18030") -> bytes:
    """As a bank's online banking exports it: title rows above the header, GB18030."""
    text = "\n".join(
        [
            "中国工商银行账户历史明细",
            "账号：4000 0211 0900 1234 567,币种：人民币",
            ICBC_HEADER,
            *lines,
        ]
    )
    return text.encode(encoding)


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


# --- import and proposals -------------------------------------------------------------------


def test_statement_lines_with_a_pledge_code_are_proposed(project, finance_users):
    item = make_pledge(project)
    other = make_pledge(project, email="q@example.org")
    code = other.reference
    content = icbc_csv(
        f"2026-12-01,,300.00,10300.00,王五,6222 0000 1111,转账,捐款 {item.reference.lower()},SN001",
        "2026-12-01,,88.00,10388.00,赵六,6222 0000 2222,转账,谢谢,SN002",
        "2026-12-02,50.00,,10338.00,某供应商,6222 0000 3333,转账,货款,SN003",
        f"2026/12/03,,120.50,1,钱七,6222 0000 4444,转账,{code[:4]}-{code[4:]},SN004",
    )

    result = import_statement(content=content, file_name="icbc.csv", by=finance_users[0])

    lines = {line.bank_reference: line for line in BankStatementLine.objects.all()}
    assert (result.proposed, result.unmatched, result.skipped, result.outgoing) == (2, 1, 0, 1)
    assert sorted(lines) == ["SN001", "SN002", "SN004"]
    assert (lines["SN001"].status, lines["SN001"].pledge) == (StatementLineStatus.PROPOSED, item)
    assert lines["SN001"].amount == 30_000
    assert (lines["SN001"].payer_name, lines["SN001"].payer_account) == ("王五", "6222 0000 1111")
    assert (lines["SN002"].status, lines["SN002"].pledge) == (StatementLineStatus.UNMATCHED, None)
    assert (lines["SN004"].pledge, lines["SN004"].amount) == (other, 12_050)
    assert timezone.localtime(lines["SN004"].booked_at).date().isoformat() == "2026-12-03"
    assert Donation.objects.count() == 0


def test_xlsx_statement_with_typed_cells_is_read(project, finance_users):
    from openpyxl import Workbook

    item = make_pledge(project, amount=50_000)
    book = Workbook()
    sheet = book.active
    sheet.append(["招商银行交易明细"])
    sheet.append(["记账日期", "交易金额", "对方户名", "对方账号", "用途"])
    sheet.append(
        [datetime(2026, 12, 4, 10, 30), 500, "孙八", "6214 8888", f"{item.reference} 捐赠"]
    )
    sheet.append([datetime(2026, 12, 4, 11, 0), -20.5, "手续费", "", "扣费"])
    buffer = io.BytesIO()
    book.save(buffer)

    result = import_statement(content=buffer.getvalue(), file_name="cmb.xlsx", by=finance_users[0])

    (line,) = BankStatementLine.objects.all()
    assert (result.proposed, result.outgoing) == (1, 1)
    assert (line.amount, line.pledge, line.memo) == (50_000, item, f"{item.reference} 捐赠")
    assert line.line_key.startswith("line:")


def test_reference_codes_are_found_whatever_their_spacing():
    assert reference_in("捐款 gy 2345-6789 谢谢") == "GY23456789"
    assert reference_in("GY2345678") == ""  # too short
    assert reference_in("GY1234ABCD") == ""  # 1 is not in the code alphabet


# --- confirm under four eyes ------------------------------------------------------------------


def test_confirmed_match_records_the_gift_which_a_second_officer_approves(project, finance_users):
    first, second = finance_users
    item = make_pledge(project)
    import_statement(
        content=icbc_csv(f"2026-12-01,,300.00,1,王五,6222,转账,{item.reference},SN001"),
        file_name="icbc.csv",
        by=first,
    )
    line = BankStatementLine.objects.get()

    gift = confirm_statement_match(line=line, by=first)
    with pytest.raises(FourEyesViolation):
        approve_offline_donation(donation=gift, approved_by=first)
    approve_offline_donation(donation=gift, approved_by=second)

    line.refresh_from_db()
    item.refresh_from_db()
    gift.refresh_from_db()
    assert (line.status, line.donation, line.decided_by) == (
        StatementLineStatus.RECORDED,
        gift,
        first,
    )
    assert item.donation == gift
    assert (gift.amount, gift.project, gift.external_id) == (30_000, project, item.reference)
    assert (gift.donor_email, gift.offline_method) == ("p@example.org", "bank_transfer")
    assert timezone.localtime(gift.received_at).date().isoformat() == "2026-12-01"
    assert (gift.status, gift.recorded_by, gift.approved_by) == (
        DonationStatus.SUCCEEDED,
        first,
        second,
    )
    with pytest.raises(InvalidTransition):
        confirm_statement_match(line=line, by=second)
    assert Donation.objects.count() == 1


def test_admin_page_confirms_and_dismisses(client, project, finance_users):
    first, _second = finance_users
    item = make_pledge(project)
    other = make_pledge(project, email="q@example.org")
    import_statement(
        content=icbc_csv(
            f"2026-12-01,,300.00,1,王五,6222,转账,{item.reference},SN001",
            f"2026-12-01,,300.00,1,某人,6222,转账,{other.reference},SN002",
        ),
        file_name="icbc.csv",
        by=first,
    )
    good, wrong = BankStatementLine.objects.order_by("bank_reference")
    client.force_login(first)

    listed = client.get(URL).content.decode()
    confirmed = client.post(URL, {"action": "confirm", "line": good.pk}, follow=True)
    dismissed = client.post(URL, {"action": "dismiss", "line": wrong.pk}, follow=True)

    good.refresh_from_db()
    wrong.refresh_from_db()
    page = dismissed.content.decode()
    assert item.reference in listed and other.reference in listed
    assert "另一位财务人员复核" in " ".join(messages_of(confirmed))
    assert good.status == StatementLineStatus.RECORDED
    assert wrong.status == StatementLineStatus.DISMISSED
    assert 'id="proposed-lines"' not in page
    assert "SN002" not in page  # serials are not shown; the memo is
    assert other.reference in page.split('id="unmatched-lines"')[1]


def test_code_already_typed_as_an_offline_reference_is_not_recorded_twice(project, finance_users):
    first, _second = finance_users
    item = make_pledge(project)
    import_statement(
        content=icbc_csv(f"2026-12-01,,300.00,1,王五,6222,转账,{item.reference},SN001"),
        file_name="icbc.csv",
        by=first,
    )
    record_offline_donation(
        project=project,
        amount=30_000,
        method=OfflineMethod.BANK_TRANSFER,
        recorded_by=first,
        reference=item.reference,
    )

    with pytest.raises(InvalidTransition) as refused:
        confirm_statement_match(line=BankStatementLine.objects.get(), by=first)

    assert item.reference in str(refused.value.messages[0])
    assert Donation.objects.count() == 1


# --- nothing twice ------------------------------------------------------------------------------


def test_the_same_file_twice_is_refused_and_overlapping_lines_are_skipped(project, finance_users):
    item = make_pledge(project)
    first_file = icbc_csv(
        f"2026-12-01,,300.00,1,王五,6222,转账,{item.reference},SN001",
        "2026-12-01,,88.00,2,赵六,6222,转账,谢谢,SN002",
    )
    overlapping = icbc_csv(
        "2026-12-01,,88.00,2,赵六,6222,转账,谢谢,SN002",
        "2026-12-02,,66.00,3,周九,6222,转账,捐款,SN005",
    )
    import_statement(content=first_file, file_name="a.csv", by=finance_users[0])

    with pytest.raises(StatementRejected) as again:
        import_statement(content=first_file, file_name="a-copy.csv", by=finance_users[1])
    result = import_statement(content=overlapping, file_name="b.csv", by=finance_users[0])

    assert "导入过，未重复导入" in str(again.value.messages[0])
    assert (result.statement.line_count, result.skipped) == (1, 1)
    assert BankStatement.objects.count() == 2
    assert sorted(BankStatementLine.objects.values_list("bank_reference", flat=True)) == [
        "SN001",
        "SN002",
        "SN005",
    ]


def test_duplicate_lines_without_a_serial_count_once(project, finance_users):
    content = (
        "交易日期,收入金额,付款人名称,用途\n"
        "2026-12-01,100.00,赵六,捐款\n"
        "2026-12-01,100.00,赵六,捐款\n"
        "2026-12-01,100.00,赵六,捐款二\n"
    ).encode()

    result = import_statement(content=content, file_name="plain.csv", by=finance_users[0])

    assert result.statement.line_count == 2
    assert result.duplicates == [3]
    assert BankStatementLine.objects.count() == 2


def test_database_records_a_pledge_from_one_line_at_most(project, finance_users):
    item = make_pledge(project)
    import_statement(
        content=icbc_csv(
            f"2026-12-01,,300.00,1,王五,6222,转账,{item.reference},SN001",
            f"2026-12-02,,300.00,1,王五,6222,转账,{item.reference},SN002",
        ),
        file_name="icbc.csv",
        by=finance_users[0],
    )
    first, second = BankStatementLine.objects.order_by("pk")
    gift = confirm_statement_match(line=first, by=finance_users[0])
    other_gift = Donation.objects.create(
        project=project, amount=1, source="offline", status=DonationStatus.AWAITING_APPROVAL
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        BankStatementLine.objects.filter(pk=second.pk).update(
            status=StatementLineStatus.RECORDED, donation=other_gift
        )
    with pytest.raises(InvalidTransition):
        confirm_statement_match(line=second, by=finance_users[0])

    assert BankStatementLine.objects.get(pk=first.pk).donation == gift


# --- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("姓名,电话\n张三,123\n".encode(), "没有找到对账单的列"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "无法读取文件"),
        (b"PK\x03\x04broken zip", "无法按 CSV 或 XLSX 读取"),
        (
            icbc_csv("2026-13-45,,300.00,1,王五,6222,转账,x,SN1", "2026-12-01,,三百,1,a,b,c,d,SN2"),
            "第 4 行：日期有误 '2026-13-45'。 第 5 行：金额有误 '三百'。",
        ),
    ],
)
def test_bad_files_are_refused_with_a_reason_and_nothing_is_imported(
    project, finance_users, content, expected
):
    with pytest.raises(StatementRejected) as refused:
        import_statement(content=content, file_name="bad.csv", by=finance_users[0])

    assert expected in str(refused.value.messages[0])
    assert BankStatement.objects.count() == 0
    assert BankStatementLine.objects.count() == 0


def test_bad_file_through_the_admin_is_a_form_error(client, finance_users):
    client.force_login(finance_users[0])

    response = client.post(
        URL, {"file": SimpleUploadedFile("x.csv", "姓名,电话\n张三,123\n".encode())}
    )

    assert response.status_code == 200
    assert "没有找到对账单的列" in response.content.decode()
    assert BankStatement.objects.count() == 0


def test_upload_through_the_admin_reports_what_it_did(client, project, finance_users):
    item = make_pledge(project)
    client.force_login(finance_users[0])
    content = icbc_csv(
        f"2026-12-01,,300.00,1,王五,6222,转账,{item.reference},SN001",
        "2026-12-02,50.00,,1,某供应商,6222,转账,货款,SN003",
    )

    response = client.post(URL, {"file": SimpleUploadedFile("s.csv", content)}, follow=True)

    assert messages_of(response) == [
        "已导入 1 行：1 行提议为认捐的捐赠，0 行没有认捐；"
        "0 行已导入过，文件中重复 0 行，支出 1 行（未计入）。"
    ]
    assert item.reference in response.content.decode().split('id="proposed-lines"')[1]


def test_only_finance_may_import_or_decide(client, project, finance_users):
    staff = make_officer()  # opens the Wagtail admin, records no money
    item = make_pledge(project)
    import_statement(
        content=icbc_csv(f"2026-12-01,,300.00,1,王五,6222,转账,{item.reference},SN001"),
        file_name="icbc.csv",
        by=finance_users[0],
    )
    line = BankStatementLine.objects.get()
    client.force_login(staff)

    page = client.get(URL)
    posted = client.post(URL, {"action": "confirm", "line": line.pk})

    # Wagtail turns PermissionDenied into a redirect home with "no permission"
    assert (page.status_code, page["Location"]) == (302, "/admin/")
    assert (posted.status_code, posted["Location"]) == (302, "/admin/")
    with pytest.raises(PermissionDenied):
        import_statement(content=b"x", file_name="x.csv", by=staff)
    with pytest.raises(PermissionDenied):
        dismiss_statement_match(line=line, by=staff)
    line.refresh_from_db()
    assert line.status == StatementLineStatus.PROPOSED


def test_statement_page_queries_do_not_grow_with_lines(client, project, finance_users):
    client.force_login(finance_users[0])

    def page_queries(count, start):
        pledges = [make_pledge(project, email=f"p{start + i}@example.org") for i in range(count)]
        rows = [
            f"2026-12-01,,300.00,1,王五,6222,转账,{p.reference},SN{start + i}"
            for i, p in enumerate(pledges)
        ] + [f"2026-12-01,,1.00,1,某人,6222,转账,无,SX{start + i}" for i in range(count)]
        import_statement(content=icbc_csv(*rows), file_name=f"{start}.csv", by=finance_users[0])
        client.get(URL)  # warm caches (site, permissions)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(URL)
        assert response.status_code == 200
        return len(ctx.captured_queries)

    one = page_queries(1, 100)
    BankStatementLine.objects.all().delete()
    BankStatement.objects.all().delete()
    three = page_queries(3, 200)

    assert one == three
