"""Import donation records exported from a designated fundraising platform."""

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from wagtail.log_actions import log

from organizations.roles import FINANCE_OFFICER, has_role
from portal.core.money import MAX_FEN, format_fen, yuan_to_fen
from projects.models import Project

from ..enums import Anonymity, DonationSource, DonationStatus, ImportStatus
from ..errors import FourEyesViolation, InvalidTransition, ProjectClosedToMoney
from ..models import Donation, ImportBatch
from .donations import count_gift
from .matching import lock_for_counting
from .receipts import issue_receipt

# Column mapping per platform: our field → the platform's column header.
SOURCES: dict[str, dict[str, str]] = {
    "generic": {
        "external_id": "external_id",
        "project": "project_slug",
        "amount": "amount_yuan",
        "donor_name": "donor_name",
        "donor_email": "donor_email",
        "received_at": "date",
        "message": "message",
        "anonymous": "anonymous",
    },
    "tencent": {
        "external_id": "捐赠单号",
        "project": "项目标识",
        "amount": "捐赠金额（元）",
        "donor_name": "捐赠人",
        "donor_email": "邮箱",
        "received_at": "捐赠时间",
        "message": "留言",
        "anonymous": "是否匿名",
    },
    "alipay": {
        "external_id": "订单号",
        "project": "项目编号",
        "amount": "金额",
        "donor_name": "昵称",
        "donor_email": "",
        "received_at": "支付时间",
        "message": "",
        "anonymous": "匿名",
    },
}
REQUIRED = ("external_id", "project", "amount", "received_at")
TRUE_WORDS = {"1", "true", "yes", "y", "是", "匿名"}
MAX_ROWS = 20_000


class ImportRejected(Exception):
    """The file has row errors; nothing was imported."""

    def __init__(self, errors: list[tuple[int, str]]):
        super().__init__(f"{len(errors)} row errors")
        self.errors = errors


@dataclass
class ParsedRow:
    line: int
    external_id: str
    project: Project
    amount: int
    received_at: datetime
    donor_name: str = ""
    donor_email: str = ""
    message: str = ""
    anonymous: bool = False


@dataclass
class ImportPreview:
    source: str
    rows: list[ParsedRow] = field(default_factory=list)
    duplicates: list[ParsedRow] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(r.amount for r in self.rows)


def read_rows(content: bytes) -> list[list]:
    """Every row of a CSV (UTF-8, with or without BOM, or GB18030 — what Chinese banks
    and platforms export) or XLSX file (detected by content), as lists of cells: XLSX
    cells keep their type (numbers, dates), CSV cells are stripped text. Raises
    ``ValueError`` for a file that is neither."""
    if content[:4] == b"PK\x03\x04":
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).active
        return [list(r) for r in sheet.iter_rows(values_only=True)]
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValueError("file is neither UTF-8 nor GB18030 text nor XLSX")
    if "\x00" in text:
        raise ValueError("file is neither UTF-8 nor GB18030 text nor XLSX")
    return [[(v or "").strip() for v in row] for row in csv.reader(io.StringIO(text))]


def read_table(content: bytes) -> list[dict[str, str]]:
    """The rows of :func:`read_rows` under the first row's headers (empty rows left out)."""
    rows = read_rows(content)
    if not rows:
        return []
    header = [str(h or "").strip() for h in rows[0]]
    return [
        {header[i]: ("" if v is None else v) for i, v in enumerate(r) if i < len(header)}
        for r in rows[1:]
        if any(v not in (None, "") for v in r)
    ]


def parse_when(value) -> datetime:
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, date):
        when = datetime(value.year, value.month, value.day)
    else:
        text = str(value).strip().replace("/", "-")
        for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
            try:
                when = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        else:
            raise ValueError("date must look like 2026-11-20 or 2026-11-20 14:30")
    return timezone.make_aware(when) if timezone.is_naive(when) else when


def preview_import(*, content: bytes, source: str) -> ImportPreview:
    """Parse and validate every row; writes nothing.

    Each row error is ``(line number, reason)``; rows already imported for this source
    (same external id) are listed as duplicates and will be skipped.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; known: {', '.join(sorted(SOURCES))}")
    mapping = SOURCES[source]
    preview = ImportPreview(source=source)
    try:
        table = read_table(content)
    except (ValueError, OSError, KeyError) as exc:
        preview.errors.append((0, f"cannot read file: {exc}"))
        return preview
    if len(table) > MAX_ROWS:
        preview.errors.append((0, f"more than {MAX_ROWS} rows"))
        return preview
    if table:
        missing = [mapping[k] for k in REQUIRED if mapping[k] not in table[0]]
        if missing:
            preview.errors.append((1, f"missing columns: {', '.join(missing)}"))
            return preview
    slugs = {str(r.get(mapping["project"], "")).strip() for r in table}
    projects = {p.slug: p for p in Project.objects.filter(slug__in=slugs)}
    ids = [str(r.get(mapping["external_id"], "")).strip() for r in table]
    existing = set(
        Donation.objects.filter(
            source=DonationSource.IMPORT, import_source=source, external_id__in=ids
        )
        .exclude(status=DonationStatus.REJECTED)
        .values_list("external_id", flat=True)
    )
    seen: set[str] = set()
    for line, raw in enumerate(table, start=2):

        def get(key, raw=raw):
            column = mapping.get(key) or ""
            return str(raw.get(column, "")).strip() if column else ""

        external_id = get("external_id")
        problems = []
        if not external_id:
            problems.append("external id is empty")
        elif external_id in seen:
            problems.append(f"external id {external_id} appears twice in the file")
        seen.add(external_id)
        project = projects.get(get("project"))
        if project is None:
            problems.append(f"unknown project {get('project')!r}")
        elif not project.accepts_money:
            problems.append(
                gettext("“%(project)s” does not accept donations now: %(reason)s")
                % {"project": project.title, "reason": project.money_refusal}
            )
        try:
            amount = yuan_to_fen(get("amount"))
            if amount <= 0:
                raise ValueError("not positive")
        except ValueError:
            problems.append(f"bad amount {get('amount')!r}")
            amount = 0
        if amount > MAX_FEN:
            # Bounded so that even a full file of such rows sums within 64 bits.
            problems.append(
                gettext("amount %(amount)r is more than %(limit)s")
                % {"amount": get("amount"), "limit": format_fen(MAX_FEN)}
            )
        try:
            when_raw = raw.get(mapping["received_at"], "")
            received_at = parse_when(when_raw)
        except ValueError as exc:
            problems.append(str(exc))
            received_at = None
        if problems:
            preview.errors.append((line, "; ".join(problems)))
            continue
        row = ParsedRow(
            line=line,
            external_id=external_id,
            project=project,
            amount=amount,
            received_at=received_at,
            donor_name=get("donor_name")[:200],
            donor_email=get("donor_email")[:254],
            message=get("message")[:500],
            anonymous=get("anonymous").lower() in TRUE_WORDS,
        )
        (preview.duplicates if external_id in existing else preview.rows).append(row)
    return preview


@transaction.atomic
def commit_import(*, content: bytes, source: str, file_name: str, by=None) -> ImportBatch:
    """Record all rows or none, to be approved by a second finance officer.

    Raises ``ImportRejected`` with every row error if any row is bad (nothing written).
    Rows already imported (same source and external id, unique in the database) are
    skipped, so re-running a file is harmless. Each new row becomes a donation
    *awaiting approval* in a batch awaiting approval: nothing counts, is posted or is
    matched until :func:`approve_import` (four eyes, like offline gifts). Audit-logged.
    """
    preview = preview_import(content=content, source=source)
    if preview.errors:
        raise ImportRejected(preview.errors)
    batch = ImportBatch.objects.create(
        source=source,
        file_name=file_name[:255],
        imported_by=by,
        created_count=len(preview.rows),
        skipped_count=len(preview.duplicates),
        total=preview.total,
    )
    Donation.objects.bulk_create(
        [
            Donation(
                project=row.project,
                amount=row.amount,
                currency=row.project.currency,
                source=DonationSource.IMPORT,
                import_source=source,
                import_batch=batch,
                external_id=row.external_id,
                status=DonationStatus.AWAITING_APPROVAL,
                donor_name=row.donor_name,
                donor_email=row.donor_email,
                message=row.message,
                received_at=row.received_at,
                anonymity=Anonymity.HIDE_NAME if row.anonymous else Anonymity.NONE,
                recorded_by=by,
            )
            for row in preview.rows
        ],
        batch_size=1000,
    )
    log(
        instance=batch,
        action="funding.import",
        user=by,
        data={"created": batch.created_count, "skipped": batch.skipped_count},
    )
    return batch


def _decide(batch: ImportBatch, by, *, verb: str) -> ImportBatch:
    if not has_role(by, FINANCE_OFFICER):
        raise FourEyesViolation(f"only finance officers {verb} imports")
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != ImportStatus.AWAITING_APPROVAL:
        raise InvalidTransition("import is not awaiting approval")
    if batch.imported_by_id is not None and batch.imported_by_id == by.pk:
        raise FourEyesViolation("a different finance officer must approve")
    return batch


def _refuse_closed_projects(project_ids: set[int]) -> None:
    """Raise ``ProjectClosedToMoney`` naming every project (read after its row lock) that
    may not receive gifts now."""
    closed = [
        p for p in Project.objects.filter(pk__in=project_ids).order_by("pk") if not p.accepts_money
    ]
    if closed:
        raise ProjectClosedToMoney(
            f"projects {[p.pk for p in closed]} do not accept money",
            message=gettext("These projects do not accept donations now: %(projects)s.")
            % {"projects": "; ".join(f"“{p.title}”（{p.money_refusal}）" for p in closed)},
        )


@transaction.atomic
def approve_import(*, batch: ImportBatch, approved_by) -> ImportBatch:
    """A second finance officer approves a platform import: every gift in it counts,
    is posted, gets its receipt record and, if the call's rule counts imported gifts,
    its match (oldest first). All or nothing.

    Lock order (the global one, docs/funding.md): the batch, then every rule, project
    and pool the gifts can touch (``lock_for_counting``), then per gift its match before
    its posting. Raises ``FourEyesViolation`` if the approver imported it or is not a
    finance officer, ``InvalidTransition`` unless it awaits approval,
    ``ProjectClosedToMoney`` when a project of the batch was closed, terminated or is not
    agreed since the preview (nothing counts: reject the batch and import a corrected
    file). Audit-logged.
    """
    batch = _decide(batch, approved_by, verb="approve")
    gifts = list(
        batch.donations.filter(status=DonationStatus.AWAITING_APPROVAL)
        .select_related("project")
        .order_by("received_at", "pk")
    )
    lock_for_counting(projects={g.project for g in gifts}, at=timezone.now())
    _refuse_closed_projects({g.project_id for g in gifts if g.project_id})
    Donation.objects.filter(pk__in=[g.pk for g in gifts]).update(
        status=DonationStatus.SUCCEEDED, approved_by=approved_by
    )
    for gift in gifts:
        gift.status, gift.approved_by = DonationStatus.SUCCEEDED, approved_by
        count_gift(gift, at=gift.received_at)
    for gift in gifts:
        issue_receipt(donation=gift, by=approved_by)
    batch.status, batch.approved_by, batch.decided_at = (
        ImportStatus.APPROVED,
        approved_by,
        timezone.now(),
    )
    batch.save(update_fields=["status", "approved_by", "decided_at"])
    log(
        instance=batch,
        action="funding.import_approved",
        user=approved_by,
        data={"gifts": len(gifts), "total": sum(g.amount for g in gifts)},
    )
    return batch


@transaction.atomic
def reject_import(*, batch: ImportBatch, rejected_by, reason: str = "") -> ImportBatch:
    """Reject a platform import awaiting approval: its gifts never count (nothing was
    posted) and their external ids are free for a corrected file. Any finance officer
    other than the importer may reject. Audit-logged."""
    batch = _decide(batch, rejected_by, verb="reject")
    batch.donations.filter(status=DonationStatus.AWAITING_APPROVAL).update(
        status=DonationStatus.REJECTED
    )
    batch.status, batch.decided_at = ImportStatus.REJECTED, timezone.now()
    batch.save(update_fields=["status", "decided_at"])
    log(
        instance=batch,
        action="funding.import_rejected",
        user=rejected_by,
        data={"reason": reason[:300]},
    )
    return batch
