"""Use cases for review: rubrics, assignment, conflicts, scoring, ranking, decisions.

Every function is keyword-only and atomic, raises ``ValidationError`` (words for the
user) or ``PermissionDenied``, writes the audit log (``wagtail.log_actions.log``) and
sends mail only after commit.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.log_actions import log

from organizations.models import Membership, Region
from organizations.roles import REVIEWER, has_role
from organizations.services import notify_members
from projects.enums import ApplicationStatus, ProjectStatus, ProjectTier
from projects.models import Application, CallPage, Project

from . import ranking
from .enums import (
    ACTIVE_ASSIGNMENT_STATUSES,
    AppealStatus,
    AssignmentStatus,
    ReviewStatus,
)
from .models import (
    Appeal,
    Assignment,
    ConflictOfInterest,
    Criterion,
    Decision,
    RankingEntry,
    Review,
    ReviewerProfile,
    ReviewSettings,
    Rubric,
    Score,
)

TWO = Decimal("0.01")


def _require_staff(by) -> None:
    if not by.has_perm("review.manage_review"):
        raise PermissionDenied(_("Only programme staff may do this."))


def reviewer_pool():
    """Active users in the Reviewers group."""
    return get_user_model().objects.filter(groups__name=REVIEWER, is_active=True).distinct()


# --- rubrics ---------------------------------------------------------------------------------


@transaction.atomic
def new_rubric_version(*, rubric: Rubric, by) -> Rubric:
    """Copy ``rubric`` and its criteria as the next version of the same code.

    Guarantees: the copy is unlocked (no reviews), the original is untouched.
    Raises ``PermissionDenied`` for non-staff."""
    _require_staff(by)
    latest = Rubric.objects.filter(code=rubric.code).order_by("-version").first()
    copy = Rubric.objects.create(
        code=rubric.code,
        version=latest.version + 1,
        name=rubric.name,
        description=rubric.description,
    )
    Criterion.objects.bulk_create(
        [
            Criterion(
                rubric=copy,
                name=c.name,
                description=c.description,
                weight=c.weight,
                scale_min=c.scale_min,
                scale_max=c.scale_max,
                scale_step=c.scale_step,
                labels=c.labels,
                required=c.required,
                independent=c.independent,
                is_key=c.is_key,
                sort_order=c.sort_order,
            )
            for c in rubric.criteria.all()
        ]
    )
    log(
        instance=copy,
        action="review.rubric.version",
        user=by,
        data={"from_version": rubric.version, "to_version": copy.version},
    )
    return copy


def weighted_total(criteria: list[Criterion], values: dict[int, Decimal]) -> Decimal:
    """``Σ w·(v − min)/(max − min)`` over the non-independent criteria that have a value."""
    total = Decimal(0)
    for c in criteria:
        if c.independent or values.get(c.pk) is None:
            continue
        total += Decimal(c.weight) * (values[c.pk] - c.scale_min) / (c.scale_max - c.scale_min)
    return total.quantize(TWO)


def num(value: Decimal) -> str:
    """``Decimal("10.00")`` → ``"10"``, ``Decimal("0.50")`` → ``"0.5"``."""
    return format(value.normalize(), "f")


def score_errors(criterion: Criterion, value: Decimal | None, *, final: bool) -> str | None:
    """Why ``value`` is not acceptable for ``criterion`` (``None`` when it is)."""
    if value is None:
        if final and criterion.required:
            return _("A score for “%(name)s” is required.") % {"name": criterion.name}
        return None
    if not (criterion.scale_min <= value <= criterion.scale_max):
        return _("“%(name)s” must be between %(min)s and %(max)s.") % {
            "name": criterion.name,
            "min": num(criterion.scale_min),
            "max": num(criterion.scale_max),
        }
    if (value - criterion.scale_min) % criterion.scale_step != 0:
        return _("“%(name)s” must be a multiple of %(step)s from %(min)s.") % {
            "name": criterion.name,
            "step": num(criterion.scale_step),
            "min": num(criterion.scale_min),
        }
    return None


def parse_score(raw) -> Decimal | None:
    """A typed score, or ``None`` when empty; raises ``ValidationError`` for non-numbers."""
    if raw in (None, ""):
        return None
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise ValidationError(_("“%(value)s” is not a number.") % {"value": raw}) from None
    if not value.is_finite():
        raise ValidationError(_("“%(value)s” is not a number.") % {"value": raw})
    return value


# --- settings and assignment -----------------------------------------------------------------


def settings_for(call: CallPage) -> ReviewSettings:
    """The call's review settings; raises ``ValidationError`` when staff have not set them."""
    try:
        return call.review_settings
    except ReviewSettings.DoesNotExist:
        raise ValidationError(_("Set up the review settings for this call first.")) from None


def _district_of(region_id: int | None, regions: dict[int, tuple[str, int | None]]) -> int | None:
    seen = 0
    while region_id is not None and seen < 10:
        level, parent = regions.get(region_id, ("", None))
        if level == "district":
            return region_id
        region_id, seen = parent, seen + 1
    return None


def _mark_review_started(call: CallPage, now: datetime) -> None:
    CallPage.objects.filter(pk=call.pk, review_started_at__isnull=True).update(
        review_started_at=now
    )


@transaction.atomic
def auto_assign(*, call: CallPage, by, now: datetime | None = None) -> int:
    """Top every eligible application of ``call`` up to N active reviewers.

    Picks, for each application in id order, the eligible reviewers with the lowest
    current load in this call (ties: fewer assignments overall, then user id). Never a
    reviewer who is a member of the applying organization, has declared a conflict with
    it, was already assigned to it (including recused assignments), nor — when the call
    asks — one based in the organization's district. Side effects: creates assignments,
    logs each one, marks the call's review as started. Returns how many were created.
    Raises ``PermissionDenied`` for non-staff, ``ValidationError`` without settings."""
    _require_staff(by)
    now = now or timezone.now()
    config = settings_for(call)
    need = config.reviewers_per_application
    pool = list(reviewer_pool().order_by("pk").values_list("pk", flat=True))
    if not pool:
        raise ValidationError(_("There are no reviewers in the Reviewers group."))
    applications = list(
        Application.objects.filter(call=call, status=ApplicationStatus.ELIGIBLE)
        .order_by("pk")
        .values_list("pk", "organization_id", "organization__region_id")
    )
    existing = list(
        Assignment.objects.filter(application__call=call).values_list(
            "application_id", "reviewer_id", "status"
        )
    )
    taken: dict[int, set[int]] = {}
    active: Counter = Counter()
    load: Counter = Counter()
    for app_id, reviewer_id, status in existing:
        taken.setdefault(app_id, set()).add(reviewer_id)
        if status in ACTIVE_ASSIGNMENT_STATUSES:
            active[app_id] += 1
            load[reviewer_id] += 1
    members: dict[int, set[int]] = {}
    for org_id, user_id in Membership.objects.filter(user_id__in=pool).values_list(
        "organization_id", "user_id"
    ):
        members.setdefault(org_id, set()).add(user_id)
    conflicts: dict[int, set[int]] = {}
    for org_id, user_id in ConflictOfInterest.objects.filter(reviewer_id__in=pool).values_list(
        "organization_id", "reviewer_id"
    ):
        conflicts.setdefault(org_id, set()).add(user_id)
    home: dict[int, int | None] = {}
    regions: dict[int, tuple[str, int | None]] = {}
    if config.avoid_same_district:
        home = dict(
            ReviewerProfile.objects.filter(user_id__in=pool).values_list("user_id", "district_id")
        )
        regions = {
            pk: (level, parent)
            for pk, level, parent in Region.objects.values_list("pk", "level", "parent_id")
        }
    created = []
    for app_id, org_id, region_id in applications:
        missing = need - active[app_id]
        if missing <= 0:
            continue
        excluded = (
            taken.get(app_id, set()) | members.get(org_id, set()) | conflicts.get(org_id, set())
        )
        district = _district_of(region_id, regions) if config.avoid_same_district else None
        candidates = [
            r
            for r in pool
            if r not in excluded and not (district is not None and home.get(r) == district)
        ]
        candidates.sort(key=lambda r: (load[r], r))
        for reviewer_id in candidates[:missing]:
            created.append(
                Assignment(application_id=app_id, reviewer_id=reviewer_id, assigned_by=by)
            )
            load[reviewer_id] += 1
            active[app_id] += 1
    Assignment.objects.bulk_create(created)
    for assignment in created:
        log(
            instance=assignment,
            action="review.assignment.create",
            user=by,
            data={"reviewer": assignment.reviewer_id, "auto": True},
        )
    if created:
        _mark_review_started(call, now)
    return len(created)


def assignment_refusal(*, application: Application, reviewer) -> str | None:
    """Why ``reviewer`` may not review ``application`` (``None`` when they may)."""
    if not has_role(reviewer, REVIEWER):
        return _("%(user)s is not in the Reviewers group.") % {"user": reviewer}
    if application.status != ApplicationStatus.ELIGIBLE:
        return _("Only eligible applications are reviewed.")
    if Membership.objects.filter(
        user=reviewer, organization_id=application.organization_id
    ).exists():
        return _("%(user)s is a member of the applying organization.") % {"user": reviewer}
    if ConflictOfInterest.objects.filter(
        reviewer=reviewer, organization_id=application.organization_id
    ).exists():
        return _("%(user)s has declared a conflict with the applying organization.") % {
            "user": reviewer
        }
    if Assignment.objects.filter(application=application, reviewer=reviewer).exists():
        return _("%(user)s is already assigned to this application.") % {"user": reviewer}
    return None


@transaction.atomic
def assign_reviewer(*, application: Application, reviewer, by) -> Assignment:
    """Manually assign one reviewer (same exclusions as ``auto_assign``).

    Side effects: audit log. Raises ``ValidationError`` with the reason for a refusal."""
    _require_staff(by)
    reason = assignment_refusal(application=application, reviewer=reviewer)
    if reason:
        raise ValidationError(reason)
    assignment = Assignment.objects.create(
        application=application, reviewer=reviewer, assigned_by=by
    )
    log(
        instance=assignment,
        action="review.assignment.create",
        user=by,
        data={"reviewer": reviewer.pk, "auto": False},
    )
    _mark_review_started(application.call, timezone.now())
    return assignment


@transaction.atomic
def remove_assignment(*, assignment: Assignment, by) -> None:
    """Withdraw an assignment that has no submitted review.

    Raises ``ValidationError`` when the review was already submitted or abstained."""
    _require_staff(by)
    review = Review.objects.filter(assignment=assignment).first()
    if review and review.is_locked:
        raise ValidationError(_("This review has been handed in; reopen it instead."))
    log(
        instance=assignment.application,
        action="review.assignment.remove",
        user=by,
        data={"reviewer": assignment.reviewer_id},
    )
    assignment.delete()


@transaction.atomic
def import_assignments(*, call: CallPage, data: str, by) -> int:
    """Assign from CSV text with columns ``application`` (id) and ``reviewer`` (username).

    All or nothing: every row is checked first and the first problems are raised
    together as one ``ValidationError`` naming the line numbers. Returns rows created."""
    _require_staff(by)
    reader = csv.DictReader(io.StringIO(data.lstrip("\ufeff")))
    if not reader.fieldnames or not {"application", "reviewer"} <= set(reader.fieldnames):
        raise ValidationError(_("The file needs the columns “application” and “reviewer”."))
    users = {u.username: u for u in reviewer_pool()}
    apps = {a.pk: a for a in Application.objects.filter(call=call)}
    errors, pairs, seen = [], [], set()
    for line, row in enumerate(reader, start=2):
        try:
            application = apps.get(int((row.get("application") or "").strip()))
        except ValueError:
            application = None
        reviewer = users.get((row.get("reviewer") or "").strip())
        if application is None:
            errors.append(_("Line %(line)d: no such application in this call.") % {"line": line})
            continue
        if reviewer is None:
            errors.append(_("Line %(line)d: no such reviewer.") % {"line": line})
            continue
        reason = assignment_refusal(application=application, reviewer=reviewer)
        if reason is None and (application.pk, reviewer.pk) in seen:
            reason = _("duplicate row")
        if reason:
            errors.append(_("Line %(line)d: %(reason)s") % {"line": line, "reason": reason})
            continue
        seen.add((application.pk, reviewer.pk))
        pairs.append((application, reviewer))
    if errors:
        raise ValidationError(errors)
    for application, reviewer in pairs:
        assignment = Assignment.objects.create(
            application=application, reviewer=reviewer, assigned_by=by
        )
        log(
            instance=assignment,
            action="review.assignment.create",
            user=by,
            data={"reviewer": reviewer.pk, "import": True},
        )
    if pairs:
        _mark_review_started(call, timezone.now())
    return len(pairs)


# --- reviewer actions ------------------------------------------------------------------------


def _require_own(assignment: Assignment, by) -> None:
    if assignment.reviewer_id != by.pk:
        raise PermissionDenied(_("This is not your assignment."))


@transaction.atomic
def declare_conflict(
    *, assignment: Assignment, by, conflict: bool, reason: str = "", now: datetime | None = None
) -> Assignment:
    """Record the reviewer's 回避 declaration before they see the content.

    No conflict: the assignment is accepted and the content becomes visible. Conflict:
    the assignment is recused with its reason, the conflict with the organization is
    remembered (so it is never assigned again) and the next ``auto_assign`` replaces
    the reviewer. Raises ``ValidationError`` when already declared or reason missing."""
    assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
    _require_own(assignment, by)
    if assignment.status != AssignmentStatus.PENDING:
        raise ValidationError(_("You have already made your declaration."))
    now = now or timezone.now()
    assignment.declared_at = now
    if conflict:
        reason = reason.strip()
        if not reason:
            raise ValidationError(_("Please give the reason for the conflict."))
        assignment.status = AssignmentStatus.CONFLICT
        assignment.conflict_reason = reason
        ConflictOfInterest.objects.get_or_create(
            reviewer=by,
            organization_id=assignment.application.organization_id,
            defaults={"reason": reason},
        )
        log(
            instance=assignment, action="review.conflict.declared", user=by, data={"reason": reason}
        )
    else:
        assignment.status = AssignmentStatus.ACCEPTED
        log(instance=assignment, action="review.conflict.none", user=by)
    assignment.save(update_fields=["status", "conflict_reason", "declared_at"])
    return assignment


def _review_for_update(assignment: Assignment, by) -> Review:
    assignment = (
        Assignment.objects.select_for_update()
        .select_related("application__call")
        .get(pk=assignment.pk)
    )
    _require_own(assignment, by)
    if assignment.status == AssignmentStatus.CONFLICT:
        raise PermissionDenied(_("You declared a conflict with this application."))
    if assignment.status != AssignmentStatus.ACCEPTED:
        raise PermissionDenied(_("Declare whether you have a conflict of interest first."))
    config = settings_for(assignment.application.call)
    review, _created = Review.objects.select_for_update().get_or_create(
        assignment=assignment, defaults={"rubric": config.rubric}
    )
    if review.is_locked:
        raise PermissionDenied(_("This review has been handed in and can no longer be changed."))
    return review


@transaction.atomic
def save_review(
    *,
    assignment: Assignment,
    by,
    scores: dict[int, Decimal | None],
    strengths: str = "",
    weaknesses: str = "",
    comments: str = "",
    recommendation: str = "",
    submit: bool = False,
    now: datetime | None = None,
) -> Review:
    """Save a draft or submit the reviewer's scores.

    Every given value must sit on its criterion's scale; on submit every required
    criterion needs a value and a recommendation is required. The weighted total is
    recomputed here (never trusted from the browser). Submitting locks the review.
    Side effects: audit log of the changed scores / the submission. Raises
    ``PermissionDenied`` (not yours, conflicted, not declared, locked) or
    ``ValidationError`` (a dict: criterion id or field → messages)."""
    review = _review_for_update(assignment, by)
    criteria = list(review.rubric.criteria.all())
    errors: dict[str, list[str]] = {}
    known = {c.pk for c in criteria}
    if set(scores) - known:
        raise ValidationError(_("Unknown criterion."))
    for c in criteria:
        problem = score_errors(c, scores.get(c.pk), final=submit)
        if problem:
            errors[f"criterion_{c.pk}"] = [problem]
    if submit and not recommendation:
        errors["recommendation"] = [_("Choose a recommendation.")]
    if errors:
        raise ValidationError(errors)
    old = {s.criterion_id: s.value for s in review.scores.all()}
    changes = {}
    for c in criteria:
        new = scores.get(c.pk)
        if new is None:
            if c.pk in old:
                Score.objects.filter(review=review, criterion=c).delete()
                changes[c.name] = [num(old[c.pk]), None]
        elif old.get(c.pk) != new:
            Score.objects.update_or_create(review=review, criterion=c, defaults={"value": new})
            changes[c.name] = [None if c.pk not in old else num(old[c.pk]), num(new)]
    review.strengths, review.weaknesses = strengths, weaknesses
    review.comments, review.recommendation = comments, recommendation
    review.total = weighted_total(criteria, {k: v for k, v in scores.items() if v is not None})
    if submit:
        review.status = ReviewStatus.SUBMITTED
        review.submitted_at = now or timezone.now()
    review.save()
    if changes:
        log(instance=review, action="review.score.change", user=by, data={"changes": changes})
    if submit:
        log(instance=review, action="review.submit", user=by, data={"total": str(review.total)})
    return review


@transaction.atomic
def abstain(*, assignment: Assignment, by, reason: str) -> Review:
    """Hand in the review as an abstention (kept out of every aggregate).

    Raises ``ValidationError`` without a reason, ``PermissionDenied`` as ``save_review``."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"abstain_reason": [_("Please give the reason for abstaining.")]})
    review = _review_for_update(assignment, by)
    review.status = ReviewStatus.ABSTAINED
    review.abstain_reason = reason
    review.submitted_at = timezone.now()
    review.save()
    log(instance=review, action="review.abstain", user=by, data={"reason": reason})
    return review


@transaction.atomic
def reopen_review(*, review: Review, by, reason: str) -> Review:
    """Staff unlock a handed-in review so the reviewer can change it.

    Side effects: audit log with the reason. Raises ``ValidationError`` when the
    review is not handed in or no reason is given."""
    _require_staff(by)
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Please give the reason for reopening."))
    review = Review.objects.select_for_update().get(pk=review.pk)
    if not review.is_locked:
        raise ValidationError(_("This review is not handed in."))
    review.status = ReviewStatus.DRAFT
    review.submitted_at = None
    review.abstain_reason = ""
    review.save(update_fields=["status", "submitted_at", "abstain_reason", "updated_at"])
    log(instance=review, action="review.reopen", user=by, data={"reason": reason})
    return review


# --- ranking and decisions -------------------------------------------------------------------


RANKING_COLUMNS = (
    "call",
    "application",
    "rank",
    "n_reviews",
    "mean",
    "median",
    "normalised",
    "key_score",
    "spread",
    "disagreement",
    "first_submitted_at",
    "tier",
    "computed_at",
)


def _store_ranking(call: CallPage, ranked: list[ranking.Ranked]) -> None:
    """Replace the call's ranking rows in two statements.

    Plain ``executemany`` rather than ``bulk_create``: for 5,000 rows the ORM spends
    several times longer converting values field by field than the database needs to
    store them (see bench/review_rank_bench.py). The values are already of the
    column types (ints, Decimals quantised to the field's places, adapted datetimes)."""
    opts = RankingEntry._meta
    ops = connection.ops
    table = ops.quote_name(opts.db_table)
    columns = ", ".join(ops.quote_name(opts.get_field(name).column) for name in RANKING_COLUMNS)
    placeholders = ", ".join(["%s"] * len(RANKING_COLUMNS))
    stamp = ops.adapt_datetimefield_value(timezone.now())
    rows = [
        (
            call.pk,
            r.application_id,
            r.rank,
            r.n_reviews,
            r.mean,
            r.median,
            r.normalised,
            r.key_score,
            r.spread,
            r.disagreement,
            ops.adapt_datetimefield_value(r.first_submitted_at),
            r.tier,
            stamp,
        )
        for r in ranked
    ]
    call_column = ops.quote_name(opts.get_field("call").column)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {call_column} = %s", [call.pk])  # noqa: S608
        if rows:
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", rows)  # noqa: S608


@transaction.atomic
def rank_call(*, call: CallPage, by=None) -> list[ranking.Ranked]:
    """Compute and store the call's ranking (see ``ranking`` for every definition).

    Replaces the call's previous ranking entries (``RankingEntry`` rows) and returns
    them in rank order as ``ranking.Ranked`` values; applications without a submitted
    review are not ranked. Tiers follow the settings' funded/reserve counts. Side
    effect: audit log on the call when run by a user. Raises ``ValidationError``
    without settings."""
    config = settings_for(call)
    totals = ranking.review_totals(call.pk)
    submitted = dict(Application.objects.filter(call=call).values_list("pk", "submitted_at"))
    ranked = ranking.rank(
        totals=totals,
        submitted_at=submitted,
        max_total=float(config.rubric.max_total()),
        threshold=config.disagreement_threshold,
        drop_extremes=config.drop_extremes,
        funded_count=config.funded_count,
        reserve_count=config.reserve_count,
    )
    _store_ranking(call, ranked)
    if by is not None:
        log(instance=call, action="review.rank", user=by, data={"ranked": len(ranked)})
    return ranked


def _project_slug(application: Application) -> str:
    base = slugify(application.title or "", allow_unicode=True)[:60] or "project"
    return f"{base}-a{application.pk}"


@transaction.atomic
def publish_results(*, call: CallPage, by, now: datetime | None = None) -> int:
    """Publish the ranking as the call's public notice (公示) with an appeal window.

    Guarantees: one ``Decision`` per ranked application (updated when republished);
    funded and reserve applications get a ``Project`` (status approved, tier set;
    created once, updated after); a not-funded decision leaves an earlier project as
    not funded. Sets the call's ``notice_published_at``/``appeal_ends_at``. Side
    effects: audit log, on-site notification and email to every applicant organization.
    Returns how many decisions were published. Raises ``ValidationError`` without a
    ranking or while tier boundaries are unset."""
    _require_staff(by)
    now = now or timezone.now()
    config = settings_for(call)
    entries = list(
        RankingEntry.objects.filter(call=call)
        .select_related("application__organization")
        .order_by("rank")
    )
    if not entries:
        raise ValidationError(_("Rank the call before publishing the results."))
    if config.funded_count + config.reserve_count == 0:
        raise ValidationError(_("Set the tier boundaries (funded and reserve counts) first."))
    for entry in entries:
        entry.tier = ranking.tier_for(
            entry.rank, funded_count=config.funded_count, reserve_count=config.reserve_count
        )
    RankingEntry.objects.bulk_update(entries, ["tier"])
    existing = {d.application_id: d for d in Decision.objects.filter(call=call)}
    for entry in entries:
        application = entry.application
        decision = existing.get(application.pk) or Decision(application=application, call=call)
        decision.rank, decision.normalised, decision.tier = entry.rank, entry.normalised, entry.tier
        decision.published_at, decision.decided_by = now, by
        project = decision.project
        if entry.tier != ProjectTier.NOT_FUNDED:
            if project is None:
                project = Project.objects.create(
                    organization_id=application.organization_id,
                    call=call,
                    title=application.title or str(application),
                    slug=_project_slug(application),
                    summary=(application.answers.get("basic") or {}).get("summary", ""),
                    status=ProjectStatus.APPROVED,
                    tier=entry.tier,
                    region=application.organization.region,
                    goal_amount=application.requested_amount,
                    currency=application.currency,
                )
            else:
                project.tier, project.status = entry.tier, ProjectStatus.APPROVED
                project.save(update_fields=["tier", "status"])
        elif project is not None:
            project.tier = ProjectTier.NOT_FUNDED
            project.save(update_fields=["tier"])
        decision.project = project
        decision.save()
    appeal_ends = now + timedelta(days=config.appeal_days)
    CallPage.objects.filter(pk=call.pk).update(notice_published_at=now, appeal_ends_at=appeal_ends)
    log(
        instance=call,
        action="review.publish",
        user=by,
        data={"decisions": len(entries), "appeal_ends_at": appeal_ends.isoformat()},
    )
    for entry in entries:
        application = entry.application
        notify_members(
            organization=application.organization,
            title=gettext_lazy("Results of “%(call)s” are published"),
            body=gettext_lazy(
                "“%(title)s” ranked %(rank)d: %(tier)s. Objections may be raised until %(until)s."
            ),
            params={
                "call": call.title,
                "title": application.title or application.pk,
                "rank": entry.rank,
                "tier": ProjectTier(entry.tier).label,
                "until": appeal_ends,
            },
            url=call.url or "",
        )
    return len(entries)


@transaction.atomic
def record_appeal(
    *, decision: Decision, appellant: str, text: str, by, received_at: datetime | None = None
) -> Appeal:
    """Record an objection received during the notice (staff enter it).

    Raises ``ValidationError`` when the text is empty."""
    _require_staff(by)
    if not text.strip() or not appellant.strip():
        raise ValidationError(_("Who raised the appeal and what it says are required."))
    appeal = Appeal.objects.create(
        decision=decision,
        appellant=appellant.strip(),
        text=text.strip(),
        received_at=received_at or timezone.now(),
    )
    log(instance=appeal, action="review.appeal.record", user=by)
    return appeal


@transaction.atomic
def resolve_appeal(
    *, appeal: Appeal, by, upheld: bool, resolution: str, now: datetime | None = None
) -> Appeal:
    """Close an appeal as upheld or dismissed with a written resolution.

    Side effects: audit log, notification to the applicant organization. Raises
    ``ValidationError`` when already resolved or without a resolution."""
    _require_staff(by)
    appeal = (
        Appeal.objects.select_for_update()
        .select_related("decision__application__organization")
        .get(pk=appeal.pk)
    )
    if appeal.status != AppealStatus.OPEN:
        raise ValidationError(_("This appeal is already resolved."))
    if not resolution.strip():
        raise ValidationError(_("Please write the resolution."))
    appeal.status = AppealStatus.UPHELD if upheld else AppealStatus.DISMISSED
    appeal.resolution, appeal.resolved_by = resolution.strip(), by
    appeal.resolved_at = now or timezone.now()
    appeal.save()
    log(instance=appeal, action="review.appeal.resolve", user=by, data={"status": appeal.status})
    application = appeal.decision.application
    notify_members(
        organization=application.organization,
        title=gettext_lazy("Your appeal has been answered"),
        body=gettext_lazy("%(status)s: %(resolution)s"),
        params={"status": AppealStatus(appeal.status).label, "resolution": appeal.resolution},
    )
    return appeal


def outstanding_by_reviewer(call: CallPage | None = None) -> dict[int, int]:
    """Reviewer id → number of active assignments without a handed-in review."""
    qs = Assignment.objects.active().exclude(
        review__status__in=[ReviewStatus.SUBMITTED, ReviewStatus.ABSTAINED]
    )
    if call is not None:
        qs = qs.filter(application__call=call)
    return dict(qs.values("reviewer_id").annotate(n=Count("pk")).values_list("reviewer_id", "n"))
