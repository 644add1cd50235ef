"""Bank statements: find offline pledges' transfers and record them as gifts.

Finance imports the statement of the account donors transfer to (CSV or XLSX as Chinese
banks export them; read with the platform imports' reader,
:func:`funding.services.imports.read_rows`). Every incoming line is kept; a line whose
memo (附言) carries a pledge's reference code (``GY…``) is *proposed* as that pledge's
gift. A finance officer confirms the proposal, which records the offline gift through
:func:`funding.services.donations.record_offline_donation` — so a second officer must
approve it before it counts, as for every offline gift. Unmatched lines stay listed.

Nothing counts twice: the same file is refused, a line already imported from another
file (the bank's serial number, or the same date, amount, payer and memo) is skipped,
and a pledge is recorded from one line at most (database constraints).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from portal.core.money import MAX_FEN, yuan_to_fen

from ..enums import OfflineMethod, StatementLineStatus
from ..errors import FundingError, InvalidTransition
from ..models import BankStatement, BankStatementLine, Donation, OfflinePledge
from ..models.offline import REFERENCE_ALPHABET
from .donations import record_offline_donation
from .imports import parse_when, read_rows

# Column headers as banks name them (ICBC, CCB, BOC, ABC, CMB, BoCom … exports), first
# match wins. Money in: a credit column (贷方 / 收入), or one signed amount column.
COLUMNS: dict[str, tuple[str, ...]] = {
    "date": ("交易日期", "记账日期", "入账日期", "交易时间", "日期", "date"),
    "credit": ("贷方发生额", "贷方金额", "收入金额", "收入", "存入金额", "credit"),
    "amount": ("交易金额", "发生额", "金额", "amount"),
    "payer_name": ("对方户名", "对方账户名称", "付款人名称", "付款人", "对方名称", "payer_name"),
    "payer_account": ("对方账号", "对方账户", "付款人账号", "付款账号", "payer_account"),
    "memo": ("附言", "交易附言", "用途", "摘要", "备注", "memo"),
    "serial": ("交易流水号", "流水号", "凭证号", "交易参考号", "serial"),
}
HEADER_SEARCH_ROWS = 15  # banks put the account and period above the header
MAX_LINES = 20_000
CODE_RE = re.compile(f"GY[{REFERENCE_ALPHABET}]{{8}}")


class StatementRejected(FundingError):
    """The file cannot be read as a bank statement; nothing was imported."""

    message = _("The file cannot be imported as a bank statement.")


@dataclass
class StatementLine:
    row: int
    booked_at: datetime
    amount: int
    payer_name: str
    payer_account: str
    memo: str
    serial: str

    @property
    def key(self) -> str:
        if self.serial:
            return f"serial:{self.serial}"[:100]
        digest = hashlib.sha256(
            "|".join(
                [
                    self.booked_at.isoformat(),
                    str(self.amount),
                    self.payer_account,
                    self.payer_name,
                    self.memo,
                ]
            ).encode()
        ).hexdigest()
        return f"line:{digest}"


@dataclass
class ParsedStatement:
    lines: list[StatementLine] = field(default_factory=list)
    outgoing: int = 0  # debit lines, not ours to match
    duplicates: list[int] = field(default_factory=list)  # rows repeated in the file
    errors: list[tuple[int, str]] = field(default_factory=list)


def _find_header(rows: list[list]) -> tuple[int, dict[str, int]] | None:
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        cells = [str(c or "").strip() for c in row]
        found = {}
        for key, names in COLUMNS.items():
            for name in names:
                if name in cells:
                    found[key] = cells.index(name)
                    break
        if "date" in found and "memo" in found and ("credit" in found or "amount" in found):
            return index, found
    return None


def _fen(value) -> int | None:
    """A cell's yuan amount in fen; None when empty. Raises ``ValueError``."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        value = f"{value:.2f}"
    text = str(value).replace(",", "").replace("，", "").replace("¥", "").strip()
    if text in ("", "-", "--"):
        return None
    negative = text.startswith("-")
    fen = yuan_to_fen(text.lstrip("+-"))
    return -fen if negative else fen


def parse_statement(content: bytes) -> ParsedStatement:
    """Read a statement file; writes nothing. Rows that cannot be read are errors
    ``(row number, reason)``; a file whose columns are not recognised is one error on
    row 0 naming the columns it needs."""
    parsed = ParsedStatement()
    try:
        rows = read_rows(content)
    except (ValueError, OSError, KeyError):
        parsed.errors.append(
            (0, _("The file cannot be read: it is neither CSV (UTF-8 or GB18030) nor XLSX."))
        )
        return parsed
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds on a broken XLSX
        parsed.errors.append((0, _("The file cannot be read as CSV or XLSX.")))
        return parsed
    header = _find_header(rows)
    if header is None:
        parsed.errors.append(
            (
                0,
                _(
                    "No statement columns found. The file needs a date column (交易日期), "
                    "an incoming amount column (贷方发生额, 收入金额 or 交易金额) and a memo "
                    "column (附言, 用途 or 摘要)."
                ),
            )
        )
        return parsed
    start, columns = header
    body = rows[start + 1 :]
    if len(body) > MAX_LINES:
        parsed.errors.append((0, _("More than %(n)s lines.") % {"n": MAX_LINES}))
        return parsed
    seen: set[str] = set()
    for number, raw in enumerate(body, start=start + 2):
        if not any(v not in (None, "") for v in raw):
            continue
        line = _parse_line(number, raw, columns, parsed)
        if line is None:
            continue
        if line.key in seen:
            parsed.duplicates.append(number)
            continue
        seen.add(line.key)
        parsed.lines.append(line)
    return parsed


def _cell(raw: list, columns: dict[str, int], key: str):
    index = columns.get(key)
    if index is None or index >= len(raw):
        return None
    return raw[index]


def _text(raw, columns, key, limit) -> str:
    value = _cell(raw, columns, key)
    return "" if value is None else str(value).strip()[:limit]


def _parse_line(number: int, raw: list, columns: dict, parsed: ParsedStatement):
    problems = []
    try:
        booked_at = parse_when(_cell(raw, columns, "date") or "")
    except ValueError:
        problems.append(_("bad date %(value)r") % {"value": _cell(raw, columns, "date")})
        booked_at = None
    key = "credit" if "credit" in columns else "amount"
    try:
        amount = _fen(_cell(raw, columns, key))
    except ValueError:
        problems.append(_("bad amount %(value)r") % {"value": _cell(raw, columns, key)})
        amount = None
    if amount is not None and amount > MAX_FEN:
        problems.append(_("amount %(value)r is too large") % {"value": _cell(raw, columns, key)})
    if problems:
        parsed.errors.append((number, "; ".join(problems)))
        return None
    if amount is None or amount <= 0:
        parsed.outgoing += 1  # money out, or a debit line of a credit/debit export
        return None
    return StatementLine(
        row=number,
        booked_at=booked_at,
        amount=amount,
        payer_name=_text(raw, columns, "payer_name", 200),
        payer_account=_text(raw, columns, "payer_account", 64),
        memo=_text(raw, columns, "memo", 500),
        serial=_text(raw, columns, "serial", 90),
    )


def reference_in(memo: str) -> str:
    """The first pledge reference code in a memo (case, spaces and dashes ignored)."""
    compact = re.sub(r"[\s\-_]", "", memo.upper())
    match = CODE_RE.search(compact)
    return match.group(0) if match else ""


@dataclass
class ImportResult:
    statement: BankStatement
    proposed: int
    unmatched: int
    skipped: int
    outgoing: int
    duplicates: list[int]


@transaction.atomic
def import_statement(*, content: bytes, file_name: str, by) -> ImportResult:
    """Store every new incoming line of a bank statement, each proposed as a pledge's
    gift when its memo carries an open pledge's code. Nothing is counted here.

    Raises ``PermissionDenied`` unless ``by`` may record money; ``StatementRejected``
    (translated, naming the rows) for a file that cannot be read or has bad rows, or
    for a file imported before — nothing is written then. Lines already imported from
    another file are skipped. Audit-logged."""
    if not by.has_perm("funding.record_money"):
        raise PermissionDenied
    checksum = hashlib.sha256(content).hexdigest()
    earlier = BankStatement.objects.filter(checksum=checksum).first()
    if earlier is not None:
        raise StatementRejected(
            "statement already imported",
            message=_(
                "This file was already imported on %(when)s as “%(name)s”; nothing was "
                "imported again."
            )
            % {
                "when": date_format(
                    timezone.localtime(earlier.created_at), "SHORT_DATETIME_FORMAT"
                ),
                "name": earlier.file_name,
            },
        )
    parsed = parse_statement(content)
    if parsed.errors:
        raise StatementRejected(
            f"{len(parsed.errors)} row errors",
            message=_("Nothing was imported. %(errors)s")
            % {
                "errors": " ".join(
                    (_("Row %(row)s: %(reason)s.") % {"row": row, "reason": reason})
                    if row
                    else str(reason)
                    for row, reason in parsed.errors[:20]
                )
            },
        )
    known = set(
        BankStatementLine.objects.filter(
            line_key__in=[line.key for line in parsed.lines]
        ).values_list("line_key", flat=True)
    )
    new = [line for line in parsed.lines if line.key not in known]
    codes = {line.key: reference_in(line.memo) for line in new}
    pledges = {
        p.reference: p
        for p in OfflinePledge.objects.filter(
            reference__in=[c for c in codes.values() if c], donation__isnull=True
        )
    }
    try:
        with transaction.atomic():
            statement = BankStatement.objects.create(
                file_name=file_name[:255],
                checksum=checksum,
                imported_by=by,
                line_count=len(new),
                skipped_count=len(parsed.lines) - len(new),
            )
            BankStatementLine.objects.bulk_create(
                [
                    BankStatementLine(
                        statement=statement,
                        line_key=line.key,
                        row=line.row,
                        booked_at=line.booked_at,
                        amount=line.amount,
                        payer_name=line.payer_name,
                        payer_account=line.payer_account,
                        memo=line.memo,
                        bank_reference=line.serial,
                        pledge=pledges.get(codes[line.key]),
                        status=(
                            StatementLineStatus.PROPOSED
                            if codes[line.key] in pledges
                            else StatementLineStatus.UNMATCHED
                        ),
                    )
                    for line in new
                ]
            )
    except IntegrityError as exc:  # the same file or lines imported at the same moment
        raise StatementRejected(
            "concurrent import",
            message=_("Another import of these lines ran at the same moment; import again."),
        ) from exc
    proposed = sum(1 for line in new if codes[line.key] in pledges)
    log(
        instance=statement,
        action="funding.statement_imported",
        user=by,
        data={"lines": len(new), "proposed": proposed, "skipped": statement.skipped_count},
    )
    return ImportResult(
        statement=statement,
        proposed=proposed,
        unmatched=len(new) - proposed,
        skipped=statement.skipped_count,
        outgoing=parsed.outgoing,
        duplicates=parsed.duplicates,
    )


@transaction.atomic
def confirm_statement_match(*, line: BankStatementLine, by) -> Donation:
    """A finance officer confirms that a proposed line is its pledge's transfer: the
    offline gift is recorded (amount and date of the line, the pledge's project, donor
    and code as the reference) and waits for a second officer's approval.

    Raises ``PermissionDenied`` unless ``by`` may record money; ``InvalidTransition``
    unless the line is proposed and its pledge has no gift yet; whatever
    ``record_offline_donation`` raises (``ProjectClosedToMoney``, ``DuplicateReference``
    when the code was already typed as an offline gift's reference). Audit-logged."""
    if not by.has_perm("funding.record_money"):
        raise PermissionDenied
    line = BankStatementLine.objects.select_for_update().select_related("statement").get(pk=line.pk)
    if line.status != StatementLineStatus.PROPOSED or line.pledge is None:
        raise InvalidTransition(
            "line not proposed", message=_("This line is not a proposed match any more.")
        )
    pledge = OfflinePledge.objects.select_for_update().get(pk=line.pledge_id)
    if pledge.donation_id is not None:
        raise InvalidTransition(
            "pledge already recorded",
            message=_("Pledge %(code)s already has a recorded gift.") % {"code": pledge.reference},
        )
    donation = record_offline_donation(
        project=pledge.project,
        amount=line.amount,
        method=OfflineMethod.BANK_TRANSFER,
        recorded_by=by,
        donor_name=pledge.donor_name or line.payer_name,
        donor_email=pledge.donor_email,
        reference=pledge.reference,
        message=_("Bank statement line %(row)s of “%(file)s”: %(memo)s")
        % {"row": line.row, "file": line.statement.file_name, "memo": line.memo},
        received_at=line.booked_at,
    )
    line.status, line.donation, line.decided_by = StatementLineStatus.RECORDED, donation, by
    line.save(update_fields=["status", "donation", "decided_by"])
    log(
        instance=donation,
        action="funding.statement_matched",
        user=by,
        data={"line": line.pk, "pledge": pledge.reference, "amount": line.amount},
    )
    return donation


@transaction.atomic
def dismiss_statement_match(*, line: BankStatementLine, by) -> BankStatementLine:
    """A finance officer says a proposed line is not its pledge's transfer: the line
    stays listed as not a match. Raises ``PermissionDenied`` / ``InvalidTransition``."""
    if not by.has_perm("funding.record_money"):
        raise PermissionDenied
    line = BankStatementLine.objects.select_for_update().get(pk=line.pk)
    if line.status != StatementLineStatus.PROPOSED:
        raise InvalidTransition(
            "line not proposed", message=_("This line is not a proposed match any more.")
        )
    line.status, line.decided_by = StatementLineStatus.DISMISSED, by
    line.save(update_fields=["status", "decided_by"])
    return line
