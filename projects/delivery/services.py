"""Use cases for funded-project delivery.

Every function is keyword-only (except ``advance``, whose signature other apps rely on,
see docs/delivery.md) and atomic; it checks permissions itself, raises ``DeliveryError``
(translated sentences) or ``PermissionDenied``, writes the audit log
(``wagtail.log_actions.log``) for staff decisions and notifies the organization after
commit.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.log_actions import log

from organizations.models import Membership
from organizations.services import notify_members
from portal.core.errors import DomainError
from portal.core.money import format_fen
from portal.core.transitions import InvalidTransition
from projects.enums import ApplicationStep, ProjectStatus
from projects.models import Project
from projects.uploads import check_upload

from .enums import (
    ACTIVE_STAGES,
    AWAITING_DECISION,
    DELIVERY_TRANSITIONS,
    PROJECT_STATUS_FOR_STAGE,
    VARIANCE_EXPLANATION_BPS,
    DeliveryStage,
    MilestoneStatus,
    ReportKind,
    ReportStatus,
)
from .models import (
    Delivery,
    DeliveryEvent,
    IndicatorActual,
    Milestone,
    ProgressReport,
    ReportPhoto,
    VarianceExplanation,
)

AGREEMENT_TYPES = {"application/pdf": {"pdf"}, "image/jpeg": {"jpg", "jpeg"}, "image/png": {"png"}}
RECEIPT_TYPES = AGREEMENT_TYPES
PHOTO_TYPES = {"image/jpeg": {"jpg", "jpeg"}, "image/png": {"png"}, "image/webp": {"webp"}}
PHOTO_MAX_SIZE = 10 * 1024 * 1024
PHOTO_MAX_PIXELS = 40_000_000
PHOTO_MAX_SIDE = 2000
MAX_PHOTOS = 10
# No single expenditure above 100 million yuan: larger figures are typing mistakes.
MAX_EXPENDITURE = 100_000_000_00


class DeliveryError(DomainError):
    """A refused delivery action; ``messages`` are translated sentences."""


# --- helpers ---------------------------------------------------------------------------------


def is_member(user, organization_id: int, *, editor: bool = False) -> bool:
    """True when ``user`` belongs to the organization (as owner/editor if ``editor``)."""
    if not user.is_authenticated:
        return False
    membership = Membership.objects.filter(user=user, organization_id=organization_id).first()
    return membership is not None and (membership.can_edit or not editor)


def can_view(user, delivery: Delivery) -> bool:
    """The named permission ``delivery.open_delivery`` (projects/delivery/rules.py)."""
    return user.has_perm("delivery.open_delivery", delivery)


def _require_staff(by) -> None:
    if not by.has_perm("delivery.manage_delivery"):
        raise PermissionDenied(_("Only programme staff may do this."))


def _require_editor(by, delivery: Delivery) -> None:
    if not is_member(by, delivery.project.organization_id, editor=True):
        raise PermissionDenied(_("Only owners and editors of the organization can do this."))


def _lock(delivery: Delivery) -> Delivery:
    return (
        Delivery.objects.select_for_update(of=("self",))
        .select_related("project__organization")
        .get(pk=delivery.pk)
    )


def _notify(delivery: Delivery, title, body, /, **params) -> None:
    """Tell the organization's members (lazy ``title``/``body`` formatted with ``params``,
    each member in their language)."""
    notify_members(
        organization=delivery.project.organization,
        title=title,
        body=body,
        params=params,
        url=reverse("delivery:detail", kwargs={"pk": delivery.pk}),
    )


def budget_lines_from_answers(answers: dict) -> list[dict]:
    """The application's budget lines as ``{"line", "category", "source", "amount"}``
    (amount in fen), merged by item name (the name is the key expenditures use)."""
    merged: dict[str, dict] = {}
    for row in (answers.get(ApplicationStep.BUDGET) or {}).get("lines", []):
        name = str(row.get("item", "")).strip()[:200]
        if not name:
            continue
        amount = int(row.get("quantity", 0)) * int(row.get("unit_price", 0))
        line = merged.setdefault(
            name,
            {
                "line": name,
                "category": row.get("category", ""),
                "source": row.get("source", ""),
                "amount": 0,
            },
        )
        line["amount"] += amount
    return list(merged.values())


def indicators_from_answers(answers: dict) -> list[dict]:
    """The application's indicators as ``{"kind", "name", "target"}``."""
    return [
        {
            "kind": row.get("kind", ""),
            "name": str(row.get("name", ""))[:200],
            "target": str(row.get("target", ""))[:100],
        }
        for row in (answers.get(ApplicationStep.INDICATORS) or {}).get("lines", [])
        if row.get("name")
    ]


def _application_answers(project: Project) -> dict:
    """The answers of the application the project was approved from; empty for a project
    entered without one (its indicators are then typed into each report)."""
    from projects.review.models import Decision

    decision = Decision.objects.filter(project=project).select_related("application").first()
    return (decision.application.answers or {}) if decision else {}


# --- stages ----------------------------------------------------------------------------------


@transaction.atomic
def start_delivery(*, project: Project, by=None, note: str = "") -> Delivery:
    """Create the project's delivery record (once) with the budget lines and indicators
    of its approved application.

    Guarantees: at most one ``Delivery`` per project (the database enforces it); the first
    history row records who started it. A project already in progress starts in
    progress. Raises ``PermissionDenied`` when ``by`` is given and is not staff, and
    ``DeliveryError`` for projects that were not approved."""
    if by is not None:
        _require_staff(by)
    existing = Delivery.objects.filter(project=project).first()
    if existing is not None:
        return existing
    if project.status not in (ProjectStatus.APPROVED, ProjectStatus.IN_PROGRESS):
        raise DeliveryError(_("Only approved projects can start delivery."))
    answers = _application_answers(project)
    stage = (
        DeliveryStage.IN_PROGRESS
        if project.status == ProjectStatus.IN_PROGRESS
        else DeliveryStage.AGREEMENT_PENDING
    )
    delivery = Delivery.objects.create(
        project=project,
        stage=stage,
        budget_lines=budget_lines_from_answers(answers),
        indicators=indicators_from_answers(answers),
    )
    if not note:
        # Stored text: always in the site's language, whoever triggered the approval.
        with translation.override(settings.LANGUAGE_CODE):
            note = _("Delivery started after approval.")
    DeliveryEvent.objects.create(
        delivery=delivery, from_stage="", to_stage=stage, actor=by, note=note
    )
    if by is not None:
        log(instance=delivery, action="delivery.start", user=by, data={"stage": stage})
    return delivery


def copy_plan_from_application(*, delivery: Delivery) -> bool:
    """Fill an empty budget/indicator snapshot from the project's application (the review
    app creates the project a moment before it links the decision). Returns whether
    anything changed; never overwrites a snapshot that has content."""
    if delivery.budget_lines and delivery.indicators:
        return False
    answers = _application_answers(delivery.project)
    fields = []
    if not delivery.budget_lines and (lines := budget_lines_from_answers(answers)):
        delivery.budget_lines = lines
        fields.append("budget_lines")
    if not delivery.indicators and (indicators := indicators_from_answers(answers)):
        delivery.indicators = indicators
        fields.append("indicators")
    if fields:
        delivery.save(update_fields=[*fields, "updated_at"])
    return bool(fields)


def current_stage(project: Project) -> str | None:
    """The project's delivery stage (a ``DeliveryStage`` value), or ``None`` without one."""
    return Delivery.objects.filter(project_id=project.pk).values_list("stage", flat=True).first()


def transition_errors(
    delivery: Delivery, to_stage: str, note: str, overrides: dict[str, str] | None = None
) -> list[str]:
    """Why ``delivery`` may not move to ``to_stage`` now (empty when it may). Closing
    runs the closing checklist (``closing.closing_errors``) with ``overrides``."""
    if to_stage not in DeliveryStage.values:
        return [_("Unknown stage.")]
    try:
        DELIVERY_TRANSITIONS.check(delivery.stage, to_stage)
    except InvalidTransition as exc:
        return exc.messages
    errors = []
    if to_stage == DeliveryStage.IN_PROGRESS and not (
        delivery.agreement and delivery.agreement_signed_on
    ):
        errors.append(_("Upload the signed agreement and its signing date first."))
    if to_stage == DeliveryStage.TERMINATED and not note.strip():
        errors.append(_("Give the reason for terminating the project."))
    if to_stage == DeliveryStage.CLOSED:
        from .closing import closing_errors

        errors += closing_errors(delivery, overrides)
    return errors


@transaction.atomic
def advance(
    delivery: Delivery,
    to_stage: str,
    *,
    by,
    note: str = "",
    _overrides: dict[str, str] | None = None,
) -> Delivery:
    """Move ``delivery`` to ``to_stage`` along ``DELIVERY_TRANSITIONS``.

    Guarantees: the move is checked against the table under a row lock; a
    ``DeliveryEvent`` (from, to, actor, note) is appended; ``Project.status`` follows
    (in progress / completed / terminated); the audit log records it; the organization
    is notified after commit. ``note`` is the required reason when terminating.
    Closing goes through ``closing.close_project`` (checklist, overrides with reasons,
    the ``Closure`` record); called directly it must meet the whole checklist.
    Raises ``PermissionDenied`` for non-staff and ``DeliveryError`` for a refused move."""
    _require_staff(by)
    delivery = _lock(delivery)
    note = (note or "").strip()
    errors = transition_errors(delivery, to_stage, note, _overrides)
    if errors:
        raise DeliveryError(errors)
    from_stage = delivery.stage
    delivery.stage = to_stage
    fields = ["stage", "updated_at"]
    if to_stage == DeliveryStage.TERMINATED:
        delivery.termination_reason = note
        fields.append("termination_reason")
    delivery.save(update_fields=fields)
    DeliveryEvent.objects.create(
        delivery=delivery, from_stage=from_stage, to_stage=to_stage, actor=by, note=note
    )
    project_status = PROJECT_STATUS_FOR_STAGE[to_stage]
    project = delivery.project
    if project_status and project.status != project_status:
        project.status = project_status
        project.save(update_fields=["status"])
    action = "delivery.terminate" if to_stage == DeliveryStage.TERMINATED else "delivery.advance"
    log(
        instance=delivery,
        action=action,
        user=by,
        data={"from": from_stage, "to": to_stage, "note": note},
    )
    _notify(
        delivery,
        gettext_lazy("“%(project)s” is now: %(stage)s"),
        note,
        project=project.title,
        stage=DeliveryStage(to_stage).label,
    )
    return delivery


@transaction.atomic
def record_agreement(
    *, delivery: Delivery, upload, signed_on: date, by, today: date | None = None
) -> Delivery:
    """Store the signed agreement (PDF, JPEG or PNG, checked by content and size) and its
    signing date. Raises ``PermissionDenied`` for non-staff, ``DeliveryError`` for a bad
    file, a future date or a project that has moved past the agreement."""
    _require_staff(by)
    delivery = _lock(delivery)
    today = today or timezone.localdate()
    if delivery.stage != DeliveryStage.AGREEMENT_PENDING:
        raise DeliveryError(_("The agreement can only be changed before work starts."))
    if signed_on > today:
        raise DeliveryError(_("The signing date cannot be in the future."))
    try:
        content_type = check_upload(upload, allowed=AGREEMENT_TYPES)
    except ValidationError as error:
        raise DeliveryError(error.messages) from None
    delivery.agreement.save(upload.name, upload, save=False)
    delivery.agreement_name = upload.name[:255]
    delivery.agreement_content_type = content_type
    delivery.agreement_signed_on = signed_on
    delivery.save(
        update_fields=[
            "agreement",
            "agreement_name",
            "agreement_content_type",
            "agreement_signed_on",
            "updated_at",
        ]
    )
    log(
        instance=delivery,
        action="delivery.agreement",
        user=by,
        data={"signed_on": signed_on.isoformat(), "file": delivery.agreement_name},
    )
    return delivery


# --- milestones ------------------------------------------------------------------------------


@transaction.atomic
def add_milestone(
    *, delivery: Delivery, title: str, due_on: date, deliverables: str, by
) -> Milestone:
    """Staff define a milestone (agreed at once); owners and editors of the organization
    propose one (staff then accept or decline it). Raises ``PermissionDenied`` for
    anyone else and ``DeliveryError`` once the project has ended."""
    staff = by.has_perm("delivery.manage_delivery")
    if not staff:
        _require_editor(by, delivery)
    delivery = _lock(delivery)
    if delivery.stage in (DeliveryStage.CLOSED, DeliveryStage.TERMINATED):
        raise DeliveryError(_("This project has ended; milestones can no longer change."))
    title, deliverables = (title or "").strip(), (deliverables or "").strip()
    if not title or not deliverables:
        raise DeliveryError(_("Give the milestone a title and its deliverables."))
    milestone = Milestone.objects.create(
        delivery=delivery,
        title=title[:200],
        due_on=due_on,
        deliverables=deliverables,
        status=MilestoneStatus.PLANNED if staff else MilestoneStatus.PROPOSED,
        created_by=by,
    )
    if staff:
        log(
            instance=delivery,
            action="delivery.milestone.add",
            user=by,
            data={"milestone": milestone.pk, "title": milestone.title},
        )
    return milestone


@transaction.atomic
def decide_milestone(*, milestone: Milestone, accept: bool, by, note: str = "") -> Milestone:
    """Staff agree to (or decline) a milestone the organization proposed."""
    _require_staff(by)
    milestone = (
        Milestone.objects.select_for_update(of=("self",))
        .select_related("delivery__project__organization")
        .get(pk=milestone.pk)
    )
    if milestone.status != MilestoneStatus.PROPOSED:
        raise DeliveryError(_("Only proposed milestones can be accepted or declined."))
    milestone.status = MilestoneStatus.PLANNED if accept else MilestoneStatus.CANCELLED
    milestone.save(update_fields=["status"])
    log(
        instance=milestone.delivery,
        action="delivery.milestone.decide",
        user=by,
        data={"milestone": milestone.pk, "accepted": accept, "note": note},
    )
    _notify(
        milestone.delivery,
        gettext_lazy("Milestone “%(title)s” agreed")
        if accept
        else gettext_lazy("Milestone “%(title)s” declined"),
        note,
        title=milestone.title,
    )
    return milestone


# --- budget ----------------------------------------------------------------------------------


@dataclass
class BudgetLine:
    line: str
    category: str
    budget: int
    actual: int
    explanation: str = ""

    @property
    def variance(self) -> int:
        return self.actual - self.budget

    @property
    def variance_bps(self) -> int | None:
        """|variance| / budget in basis points (None for an unbudgeted line)."""
        if self.budget <= 0:
            return None
        return abs(self.variance) * 10_000 // self.budget

    @property
    def variance_percent(self) -> str:
        bps = self.variance_bps
        if bps is None:
            return "—"
        sign = "+" if self.variance > 0 else ("−" if self.variance < 0 else "")
        return f"{sign}{bps / 100:.1f}%"

    @property
    def needs_explanation(self) -> bool:
        bps = self.variance_bps
        return (bps is None and self.actual > 0) or (
            bps is not None and bps > VARIANCE_EXPLANATION_BPS
        )


def budget_vs_actual(
    delivery: Delivery, *, pending: dict[str, int] | None = None, explanations: bool = True
) -> list[BudgetLine]:
    """Budget lines of the approved application against the sum of funding
    ``Expenditure`` rows per line (two queries). Lines spent on but never budgeted
    appear at the end with a budget of 0. ``pending`` adds amounts not yet recorded;
    ``explanations=False`` skips the second query (the public page does not show them)."""
    from django.db.models import Sum

    from funding.models import Expenditure

    actual = dict(
        Expenditure.objects.filter(project_id=delivery.project_id)
        .values("budget_line")
        .annotate(total=Sum("amount"))
        .values_list("budget_line", "total")
    )
    for line, amount in (pending or {}).items():
        actual[line] = actual.get(line, 0) + amount
    explanations = (
        dict(
            VarianceExplanation.objects.filter(delivery=delivery).values_list(
                "budget_line", "explanation"
            )
        )
        if explanations
        else {}
    )
    rows = [
        BudgetLine(
            line=b["line"],
            category=b.get("category", ""),
            budget=int(b["amount"]),
            actual=int(actual.pop(b["line"], 0) or 0),
            explanation=explanations.get(b["line"], ""),
        )
        for b in delivery.budget_lines
    ]
    rows += [
        BudgetLine(
            line=line,
            category="",
            budget=0,
            actual=int(total or 0),
            explanation=explanations.get(line, ""),
        )
        for line, total in sorted(actual.items())
    ]
    return rows


def unexplained_lines(rows: list[BudgetLine]) -> list[str]:
    return [r.line for r in rows if r.needs_explanation and not r.explanation.strip()]


@transaction.atomic
def explain_variance(
    *, delivery: Delivery, budget_line: str, explanation: str, by
) -> VarianceExplanation:
    """Owners/editors of the organization (or staff) explain a line's variance."""
    if not by.has_perm("delivery.manage_delivery"):
        _require_editor(by, delivery)
    explanation = (explanation or "").strip()
    if not explanation:
        raise DeliveryError(_("Write an explanation."))
    known = {b["line"] for b in delivery.budget_lines} | {
        r.line for r in budget_vs_actual(delivery)
    }
    if budget_line not in known:
        raise DeliveryError(_("Unknown budget line."))
    item, _created = VarianceExplanation.objects.update_or_create(
        delivery=delivery,
        budget_line=budget_line,
        defaults={"explanation": explanation[:5000], "written_by": by},
    )
    return item


# --- progress reports ------------------------------------------------------------------------


@dataclass
class IndicatorInput:
    name: str
    target: str
    actual: Decimal


@dataclass
class ExpenditureInput:
    budget_line: str
    amount: int
    spent_on: date
    description: str = ""
    receipt: object = None
    # Why the line goes over its budget: required when this spending takes a budgeted
    # line more than VARIANCE_EXPLANATION_BPS over it and the line has no explanation yet.
    explanation: str = ""


def _over_tolerance_errors(
    delivery: Delivery, expenditures: list[ExpenditureInput]
) -> tuple[list[str], dict[str, str]]:
    """Budgeted lines this report's spending takes more than the tolerance (10%) over
    their budget without an explanation, as translated errors; and the explanations
    given with the spending (line → text), to be stored with the report."""
    pending: dict[str, int] = {}
    given: dict[str, str] = {}
    for row in expenditures:
        pending[row.budget_line] = pending.get(row.budget_line, 0) + row.amount
        if (row.explanation or "").strip():
            given[row.budget_line] = row.explanation.strip()[:5000]
    if not pending or not delivery.budget_lines:
        return [], given
    budgeted = {b["line"] for b in delivery.budget_lines}
    errors = []
    for line in budget_vs_actual(delivery, pending=pending):
        if (
            line.line in pending
            and line.line in budgeted
            and line.variance > 0
            and line.variance_bps > VARIANCE_EXPLANATION_BPS
            and not line.explanation.strip()
            and line.line not in given
        ):
            errors.append(
                _(
                    "This spending takes “%(line)s” to %(actual)s, %(percent)s over its "
                    "budget of %(budget)s (more than %(tolerance)s%%): say why in "
                    "“Why over budget” for this expenditure."
                )
                % {
                    "line": line.line,
                    "actual": format_fen(line.actual, delivery.project.currency),
                    "percent": line.variance_percent,
                    "budget": format_fen(line.budget, delivery.project.currency),
                    "tolerance": VARIANCE_EXPLANATION_BPS // 100,
                }
            )
    return errors, given


@dataclass
class PhotoInput:
    upload: object
    caption: str = ""


def reencode_photo(upload) -> tuple[ContentFile, int, int]:
    """Check a photo by content and size and re-encode it as JPEG (at most
    ``PHOTO_MAX_SIDE`` pixels a side) so no EXIF or other metadata survives.
    Raises ``DeliveryError`` for anything that is not a readable image."""
    from PIL import Image, ImageOps

    try:
        check_upload(upload, allowed=PHOTO_TYPES, max_size=PHOTO_MAX_SIZE)
    except ValidationError as error:
        raise DeliveryError(error.messages) from None
    unreadable = _("“%(name)s” is not a readable image.") % {"name": upload.name}
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            if probe.width * probe.height > PHOTO_MAX_PIXELS:
                raise DeliveryError(_("“%(name)s” has too many pixels.") % {"name": upload.name})
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGB")
            image.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
            out = io.BytesIO()
            image.save(out, format="JPEG", quality=85, optimize=True)
    except DeliveryError:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise DeliveryError(unreadable) from None
    upload.seek(0)
    return ContentFile(out.getvalue(), name="photo.jpg"), image.width, image.height


def _check_report_input(
    delivery: Delivery,
    *,
    kind: str,
    narrative: str,
    beneficiaries_reached: int,
    milestone: Milestone | None,
    indicators: list[IndicatorInput],
    expenditures: list[ExpenditureInput],
    photos: list[PhotoInput],
    today: date,
    period_end: date,
) -> list[str]:
    errors = []
    if delivery.stage not in ACTIVE_STAGES:
        errors.append(_("Progress can only be reported while the project is in progress."))
    if kind not in ReportKind.values:
        errors.append(_("Unknown kind of report."))
    if not (narrative or "").strip():
        errors.append(_("Describe what was done in this period."))
    if not 0 <= beneficiaries_reached <= 10_000_000:
        errors.append(_("The number of beneficiaries must be between 0 and 10,000,000."))
    if period_end > today:
        errors.append(_("The reporting period cannot end in the future."))
    if milestone is not None and (
        milestone.delivery_id != delivery.pk or milestone.status != MilestoneStatus.PLANNED
    ):
        errors.append(_("Choose one of the project's agreed milestones."))
    for row in indicators:
        if (
            row.actual is None
            or not row.actual.is_finite()
            or row.actual < 0
            or row.actual >= Decimal("1e12")
        ):
            errors.append(
                _("The actual value of “%(name)s” must be a number of 0 or more.")
                % {"name": row.name}
            )
    lines = {b["line"] for b in delivery.budget_lines}
    for row in expenditures:
        if lines and row.budget_line not in lines:
            errors.append(
                _("“%(line)s” is not a line of the approved budget.") % {"line": row.budget_line}
            )
        if not 0 < row.amount <= MAX_EXPENDITURE:
            errors.append(
                _("Each amount must be more than 0 and at most %(max)s.")
                % {"max": format_fen(MAX_EXPENDITURE)}
            )
        if row.spent_on > today:
            errors.append(_("An expenditure cannot be dated in the future."))
        if row.receipt is None:
            errors.append(_("Attach the receipt for each expenditure."))
        else:
            try:
                check_upload(row.receipt, allowed=RECEIPT_TYPES)
            except ValidationError as error:
                errors += [f"{row.receipt.name}: {m}" for m in error.messages]
    if len(photos) > MAX_PHOTOS:
        errors.append(_("At most %(n)d photos per report.") % {"n": MAX_PHOTOS})
    return errors


@transaction.atomic
def submit_report(
    *,
    delivery: Delivery,
    by,
    kind: str,
    period_end: date,
    narrative: str,
    beneficiaries_reached: int,
    milestone: Milestone | None = None,
    indicators: list[IndicatorInput] = (),
    expenditures: list[ExpenditureInput] = (),
    photos: list[PhotoInput] = (),
    report: ProgressReport | None = None,
    today: date | None = None,
) -> ProgressReport:
    """The organization submits a progress report, or resubmits a returned one.

    Everything is checked before anything is written (photos re-encoded, receipts
    sniffed); the expenditures are recorded through
    ``funding.services.spending.record_expenditure`` in the same transaction. Spending
    that takes a budgeted line more than 10% over its budget needs an explanation at
    entry (``ExpenditureInput.explanation``, stored as the line's variance explanation)
    unless the line already has one. A final report needs an explanation for every
    budget line off by more than 10% (counting this report's expenditures). Only one
    report may be open (submitted, returned or resubmitted) at a time; a returned
    report is resubmitted, not replaced.
    Raises ``PermissionDenied`` for anyone but owners/editors of the organization and
    ``DeliveryError`` listing every problem."""
    from funding.services.spending import record_expenditure

    _require_editor(by, delivery)
    delivery = _lock(delivery)
    today = today or timezone.localdate()
    indicators, expenditures, photos = list(indicators), list(expenditures), list(photos)
    errors = _check_report_input(
        delivery,
        kind=kind,
        narrative=narrative,
        beneficiaries_reached=beneficiaries_reached,
        milestone=milestone,
        indicators=indicators,
        expenditures=expenditures,
        photos=photos,
        today=today,
        period_end=period_end,
    )
    open_reports = delivery.reports.filter(status__in=[*AWAITING_DECISION, ReportStatus.RETURNED])
    if report is None:
        if open_reports.exists():
            errors.append(
                _("A report is still open; wait for the decision or resubmit the returned one.")
            )
    else:
        report = ProgressReport.objects.select_for_update().get(pk=report.pk)
        if report.delivery_id != delivery.pk or report.status != ReportStatus.RETURNED:
            errors.append(_("Only a returned report can be resubmitted."))
    if (
        kind == ReportKind.FINAL
        and delivery.reports.filter(kind=ReportKind.FINAL, status=ReportStatus.ACCEPTED).exists()
    ):
        errors.append(_("The final report has already been accepted."))
    over_errors, explanations = _over_tolerance_errors(delivery, expenditures)
    errors += over_errors
    if kind == ReportKind.FINAL and not errors:
        pending: dict[str, int] = {}
        for row in expenditures:
            pending[row.budget_line] = pending.get(row.budget_line, 0) + row.amount
        missing = unexplained_lines(budget_vs_actual(delivery, pending=pending))
        if missing:
            errors.append(
                _(
                    "Explain the variance of these budget lines (more than 10%%) "
                    "before submitting the final report: %(lines)s."
                )
                % {"lines": "、".join(missing)}
            )
    encoded = []
    if not errors:
        for photo in photos:
            try:
                encoded.append((reencode_photo(photo.upload), photo.caption))
            except DeliveryError as error:
                errors += error.messages
    if errors:
        raise DeliveryError(errors)

    now = timezone.now()
    fields = {
        "kind": kind,
        "milestone": milestone,
        "period_end": period_end,
        "narrative": narrative.strip(),
        "beneficiaries_reached": beneficiaries_reached,
        "submitted_by": by,
        "submitted_at": now,
    }
    if report is None:
        report = ProgressReport.objects.create(
            delivery=delivery, status=ReportStatus.SUBMITTED, **fields
        )
    else:
        for key, value in fields.items():
            setattr(report, key, value)
        report.status = ReportStatus.RESUBMITTED
        report.save()
        report.indicator_actuals.all().delete()
    IndicatorActual.objects.bulk_create(
        [
            IndicatorActual(
                report=report,
                name=row.name[:200],
                target=row.target[:100],
                actual=row.actual,
                sort_order=i,
            )
            for i, row in enumerate(indicators)
        ]
    )
    for (content, width, height), caption in encoded:
        photo = ReportPhoto(report=report, caption=caption[:200], width=width, height=height)
        photo.image.save(content.name, content, save=False)
        photo.save()
    for row in expenditures:
        expenditure = record_expenditure(
            project=delivery.project,
            budget_line=row.budget_line,
            amount=row.amount,
            spent_on=row.spent_on,
            recorded_by=by,
            description=row.description[:300],
            receipt=row.receipt,
        )
        report.expenditures.add(expenditure)
    for line, text in explanations.items():
        VarianceExplanation.objects.update_or_create(
            delivery=delivery,
            budget_line=line,
            defaults={"explanation": text, "written_by": by},
        )
    log(
        instance=report,
        action="delivery.report.submit",
        user=by,
        data={
            "status": report.status,
            "expenditures": len(expenditures),
            "amount": sum(r.amount for r in expenditures),
        },
    )
    return report


@transaction.atomic
def decide_report(
    *, report: ProgressReport, by, accept: bool, message: str = "", today: date | None = None
) -> ProgressReport:
    """Staff accept a submitted report (its milestone is then completed) or return it
    with a message for the organization to resubmit. Raises ``PermissionDenied`` for
    non-staff and ``DeliveryError`` for a report not awaiting a decision or a return
    without a message."""
    _require_staff(by)
    report = (
        ProgressReport.objects.select_for_update(of=("self",))
        .select_related("delivery__project__organization", "milestone")
        .get(pk=report.pk)
    )
    message = (message or "").strip()
    if report.status not in AWAITING_DECISION:
        raise DeliveryError(_("This report is not awaiting a decision."))
    if not accept and not message:
        raise DeliveryError(_("Tell the organization what to change."))
    report.status = ReportStatus.ACCEPTED if accept else ReportStatus.RETURNED
    report.return_message = "" if accept else message
    report.decided_by, report.decided_at = by, timezone.now()
    report.save(update_fields=["status", "return_message", "decided_by", "decided_at"])
    milestone = report.milestone
    if accept and milestone is not None and milestone.status == MilestoneStatus.PLANNED:
        milestone.status = MilestoneStatus.COMPLETED
        milestone.completed_on = report.period_end
        milestone.save(update_fields=["status", "completed_on"])
    log(
        instance=report,
        action="delivery.report.accept" if accept else "delivery.report.return",
        user=by,
        data={"message": message},
    )
    delivery = report.delivery
    if accept:
        _notify(
            delivery,
            gettext_lazy("Your report on “%(project)s” was accepted"),
            message,
            project=delivery.project.title,
        )
    else:
        _notify(
            delivery,
            gettext_lazy("Your report on “%(project)s” was returned"),
            message,
            project=delivery.project.title,
        )
    return report
