"""Use cases of the incubation programme (孵化).

Keyword-only and atomic; each raises ``ValidationError`` (in words the user can act on)
or ``PermissionDenied`` and leaves nothing half-saved.
"""

import datetime
import secrets
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from . import roles
from .enums import RESIDENCY_TRANSITIONS, ResidencyStatus, ServiceKind, StageKind
from .incubation_selectors import graduation_checklist
from .models import (
    AssessmentDimension,
    AssessmentScore,
    CapacityAssessment,
    Cohort,
    IncubationStage,
    Organization,
    Residency,
    ServiceLog,
    StageChange,
)
from .validators import validate_document

APPLIED_STAGE = "applied"


def _set_status(residency: Residency, to: str) -> None:
    if to not in RESIDENCY_TRANSITIONS[residency.status]:
        raise ValidationError(
            _("A residency that is “%(status)s” cannot become “%(to)s”."),
            params={"status": residency.get_status_display(), "to": ResidencyStatus(to).label},
        )
    residency.status = to


@transaction.atomic
def apply_to_cohort(
    *,
    cohort: Cohort,
    organization: Organization,
    by,
    motivation: str,
    needs: str = "",
    today: datetime.date | None = None,
) -> Residency:
    """An organization applies to join ``cohort``.

    Guarantees: only owners/editors of a verified organization, only while applications
    are open, once per cohort. Side effects: stage history starts at 申请; audit log.
    Raises ``PermissionDenied`` or ``ValidationError``.
    """
    if not by.has_perm("organizations.edit_profile", organization):
        raise PermissionDenied
    today = today or timezone.localdate()
    if cohort.applications_open_until < today:
        raise ValidationError(_("Applications to this cohort are closed."))
    if not organization.is_verified:
        raise ValidationError(
            _("Only verified organizations can apply. Submit your profile for verification first.")
        )
    if not (motivation or "").strip():
        raise ValidationError({"motivation": _("Tell us why you want to join.")})
    stage = IncubationStage.objects.get(code=APPLIED_STAGE)
    try:
        with transaction.atomic():
            residency = Residency.objects.create(
                cohort=cohort,
                organization=organization,
                motivation=motivation.strip(),
                needs=(needs or "").strip(),
                applied_by=by,
                stage=stage,
            )
    except IntegrityError as exc:
        raise ValidationError(
            _("%(name)s has already applied to this cohort.") % {"name": organization.name}
        ) from exc
    StageChange.objects.create(residency=residency, stage=stage, changed_on=today, changed_by=by)
    log(instance=residency, action="organizations.residency_applied", user=by)
    return residency


@transaction.atomic
def decide_residency(*, residency: Residency, by, admit: bool, note: str = "") -> Residency:
    """Staff admit or decline an application.

    Guarantees: admissions never exceed the cohort's capacity (the cohort row is locked).
    Side effects: audit log. Raises ``PermissionDenied`` or ``ValidationError``.
    """
    if not by.has_perm("organizations.manage_programme"):
        raise PermissionDenied
    cohort = Cohort.objects.select_for_update().get(pk=residency.cohort_id)
    residency = Residency.objects.select_for_update().get(pk=residency.pk)
    target = ResidencyStatus.ADMITTED if admit else ResidencyStatus.DECLINED
    _set_status(residency, target)
    if admit:
        taken = cohort.residencies.filter(
            status__in=[ResidencyStatus.ADMITTED, ResidencyStatus.GRADUATED]
        ).count()
        if taken >= cohort.capacity:
            raise ValidationError(
                _("The cohort is full (%(capacity)s places)."), params={"capacity": cohort.capacity}
            )
    elif not note.strip():
        raise ValidationError({"note": _("Say why the application is declined.")})
    residency.decided_by = by
    residency.decided_at = timezone.now()
    residency.decision_note = note.strip()
    residency.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    log(
        instance=residency,
        action=f"organizations.residency_{target}",
        user=by,
        data={"note": residency.decision_note} if residency.decision_note else None,
    )
    return residency


@transaction.atomic
def upload_agreement(*, residency: Residency, by, upload) -> Residency:
    """Store the signed residency agreement (privately, checked by content and size).

    Raises ``ValidationError`` unless the residency is admitted, or for a bad file.
    """
    residency = (
        Residency.objects.select_for_update()
        .select_related("organization", "cohort")
        .get(pk=residency.pk)
    )
    if not by.has_perm("organizations.upload_agreement", residency):
        raise PermissionDenied
    if residency.status != ResidencyStatus.ADMITTED:
        raise ValidationError(_("The agreement can be uploaded once the application is admitted."))
    mime = validate_document(upload)
    residency.agreement.save(f"{secrets.token_hex(8)}.{mime.split('/')[1]}", upload, save=False)
    residency.agreement_name = upload.name[:255]
    residency.agreement_content_type = mime
    residency.agreement_uploaded_at = timezone.now()
    residency.save(
        update_fields=[
            "agreement",
            "agreement_name",
            "agreement_content_type",
            "agreement_uploaded_at",
        ]
    )
    log(instance=residency, action="organizations.agreement_uploaded", user=by)
    return residency


@transaction.atomic
def move_to_stage(
    *,
    residency: Residency,
    stage: IncubationStage,
    by,
    on_date: datetime.date | None = None,
    note: str = "",
) -> Residency:
    """Move an admitted residency to ``stage``, keeping dated history.

    Guarantees: an agreement is on file first; graduation only when every item of the
    graduation checklist passes; an exit needs a note. Reaching a graduation or exit
    stage ends the residency. Raises ``PermissionDenied`` or ``ValidationError``.
    """
    if not by.has_perm("organizations.manage_programme"):
        raise PermissionDenied
    residency = (
        Residency.objects.select_for_update()
        .select_related("cohort", "organization")
        .get(pk=residency.pk)
    )
    if residency.status != ResidencyStatus.ADMITTED:
        raise ValidationError(_("Only admitted residencies move through stages."))
    if not residency.agreement:
        raise ValidationError(_("Upload the signed residency agreement first."))
    if residency.stage_id == stage.pk:
        raise ValidationError(_("The residency is already at this stage."))
    if stage.kind == StageKind.GRADUATION:
        failing = [item["label"] for item in graduation_checklist(residency) if not item["passed"]]
        if failing:
            raise ValidationError(
                _("Not ready to graduate: %(items)s."),
                params={"items": "；".join(str(f) for f in failing)},
            )
        _set_status(residency, ResidencyStatus.GRADUATED)
    elif stage.kind == StageKind.EXIT:
        if not note.strip():
            raise ValidationError({"note": _("Say why the organization leaves the programme.")})
        _set_status(residency, ResidencyStatus.EXITED)
    residency.stage = stage
    residency.save(update_fields=["stage", "status"])
    StageChange.objects.create(
        residency=residency,
        stage=stage,
        changed_on=on_date or timezone.localdate(),
        note=note.strip(),
        changed_by=by,
    )
    log(
        instance=residency,
        action="organizations.residency_stage",
        user=by,
        data={"stage": stage.code, "note": note.strip()},
    )
    return residency


@transaction.atomic
def assign_mentor(*, residency: Residency, mentor, by) -> Residency:
    """Assign a user with the mentor role. Raises ``ValidationError`` otherwise."""
    residency = (
        Residency.objects.select_for_update()
        .select_related("organization", "cohort")
        .get(pk=residency.pk)
    )
    if not by.has_perm("organizations.manage_programme"):
        raise PermissionDenied
    if mentor is not None and not roles.has_role(mentor, roles.MENTOR):
        raise ValidationError({"mentor": _("Choose a user who has the mentor role.")})
    residency.mentor = mentor
    residency.save(update_fields=["mentor"])
    log(
        instance=residency,
        action="organizations.mentor_assigned",
        user=by,
        data={"mentor": mentor.get_username() if mentor else ""},
    )
    return residency


@transaction.atomic
def log_service(
    *,
    residency: Residency,
    by,
    kind: str,
    provided_on: datetime.date,
    hours: Decimal,
    description: str = "",
    grant_amount: int | None = None,
) -> ServiceLog:
    """Record a service given to a resident organization.

    Guarantees: only its mentor or programme staff; 0 < hours ≤ 24; a grant amount only
    for small grants. Raises ``PermissionDenied`` or ``ValidationError``.
    """
    residency = (
        Residency.objects.select_for_update()
        .select_related("organization", "cohort")
        .get(pk=residency.pk)
    )
    if not by.has_perm("organizations.mentor_residency", residency):
        raise PermissionDenied
    if residency.status != ResidencyStatus.ADMITTED:
        raise ValidationError(_("Services are logged for admitted residencies only."))
    if grant_amount is not None and kind != ServiceKind.SMALL_GRANT:
        raise ValidationError({"grant_amount": _("Only a small grant has an amount.")})
    entry = ServiceLog(
        residency=residency,
        kind=kind,
        provided_on=provided_on,
        hours=hours,
        description=(description or "").strip(),
        grant_amount=grant_amount,
        provided_by=by,
    )
    entry.full_clean()
    if not (Decimal(0) < entry.hours <= Decimal(24)):
        raise ValidationError({"hours": _("Hours must be more than 0 and at most 24.")})
    entry.save()
    log(
        instance=residency,
        action="organizations.service_logged",
        user=by,
        data={"kind": kind, "hours": str(hours)},
    )
    return entry


@transaction.atomic
def record_assessment(
    *,
    residency: Residency,
    by,
    assessed_on: datetime.date,
    scores: dict[int, tuple[int, str]],
    summary: str = "",
) -> CapacityAssessment:
    """Record a capacity assessment: a 1–5 score with evidence for every active dimension.

    ``scores`` maps dimension id → (score, evidence). Raises ``PermissionDenied`` or
    ``ValidationError`` (per dimension) and then saves nothing.
    """
    residency = (
        Residency.objects.select_for_update()
        .select_related("organization", "cohort")
        .get(pk=residency.pk)
    )
    if not by.has_perm("organizations.mentor_residency", residency):
        raise PermissionDenied
    dimensions = list(AssessmentDimension.objects.filter(is_active=True))
    errors = {}
    for dimension in dimensions:
        score, evidence = scores.get(dimension.pk, (None, ""))
        if score is None or not 1 <= int(score) <= 5:
            errors[f"score_{dimension.pk}"] = _("Give a score from 1 to 5.")
        elif not (evidence or "").strip():
            errors[f"evidence_{dimension.pk}"] = _("Give the evidence for this score.")
    if errors:
        raise ValidationError(errors)
    assessment = CapacityAssessment.objects.create(
        residency=residency, assessed_on=assessed_on, assessor=by, summary=summary.strip()
    )
    AssessmentScore.objects.bulk_create(
        [
            AssessmentScore(
                assessment=assessment,
                dimension=d,
                score=int(scores[d.pk][0]),
                evidence=scores[d.pk][1].strip(),
            )
            for d in dimensions
        ]
    )
    log(instance=residency, action="organizations.assessment_recorded", user=by)
    return assessment
