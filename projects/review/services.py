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
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.log_actions import log

from organizations.models import Membership, Region
from organizations.roles import PROGRAMME_OFFICER, REVIEWER, has_role
from organizations.services import notify_members
from portal.core.notifications.services import notify
from projects.enums import ApplicationStatus, ProjectStatus, ProjectTier
from projects.models import Application, CallPage, Project
from projects.scoring import services as scoring
from projects.scoring.numbers import num, parse_number
from projects.uploads import ATTACHMENT_TYPES, check_upload

from . import balancing, ranking, selectors
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
    RosterDeclaration,
    Rubric,
    TieDecision,
)
from .publication import committee_orders, plan_publication

TWO = Decimal("0.01")


MANAGE = "review.manage_review"


def _require_staff(by) -> None:
    scoring.require_permission(by, MANAGE)


def reviewer_pool():
    """Active users in the Reviewers group."""
    return get_user_model().objects.filter(groups__name=REVIEWER, is_active=True).distinct()


# --- rubrics ---------------------------------------------------------------------------------


def new_rubric_version(*, rubric: Rubric, by) -> Rubric:
    """Copy ``rubric`` and its criteria as the next version of the same code
    (:func:`projects.scoring.services.new_rubric_version`; audit action
    ``review.rubric.version``). Raises ``PermissionDenied`` for non-staff."""
    return scoring.new_rubric_version(
        rubric=rubric, by=by, permission=MANAGE, action="review.rubric.version"
    )


def weighted_total(criteria: list[Criterion], values: dict[int, Decimal]) -> Decimal:
    """``Σ w·(v − min)/(max − min)`` over the non-independent criteria that have a value,
    to the cent, halves rounded up (1.125 → 1.13) — the rule the score form's running
    total (``review/score.js``) shows too."""
    total = Decimal(0)
    for c in criteria:
        if c.independent or values.get(c.pk) is None:
            continue
        total += Decimal(c.weight) * (values[c.pk] - c.scale_min) / (c.scale_max - c.scale_min)
    return total.quantize(TWO, rounding=ROUND_HALF_UP)


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
    return parse_number(raw)


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

    Reviewers' loads in the call end as even as the exclusions allow (within one wherever
    possible; :mod:`projects.review.balancing`: greedy by load, ties on assignments in other
    calls then id, then repaired by chains of moves). Never a reviewer who is a member of
    the applying organization, has declared a conflict with it, was already assigned to it
    (including recused assignments), nor — when the call asks — one based in the
    organization's district. Existing assignments are never moved. Side effects: creates
    assignments, logs each one, marks the call's review as started. Returns how many were created.
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
    excluded_by_app: dict[int, set[int]] = {}
    district_by_app: dict[int, int | None] = {}
    needs: dict[int, int] = {}
    for app_id, org_id, region_id in applications:
        needs[app_id] = need - active[app_id]
        excluded_by_app[app_id] = (
            taken.get(app_id, set()) | members.get(org_id, set()) | conflicts.get(org_id, set())
        )
        district_by_app[app_id] = (
            _district_of(region_id, regions) if config.avoid_same_district else None
        )

    def eligible(app_id: int, reviewer_id: int) -> bool:
        district = district_by_app[app_id]
        return reviewer_id not in excluded_by_app[app_id] and not (
            district is not None and home.get(reviewer_id) == district
        )

    overall = dict(
        Assignment.objects.filter(reviewer_id__in=pool, status__in=ACTIVE_ASSIGNMENT_STATUSES)
        .exclude(application__call=call)
        .values("reviewer_id")
        .annotate(n=Count("pk"))
        .values_list("reviewer_id", "n")
    )
    plan = balancing.plan_assignments(
        needs=needs, pool=pool, eligible=eligible, load=load, overall=overall
    )
    created = [
        Assignment(application_id=app_id, reviewer_id=reviewer_id, assigned_by=by)
        for app_id in sorted(plan)
        for reviewer_id in plan[app_id]
    ]
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
        organization_id = assignment.application.organization_id
        ConflictOfInterest.objects.get_or_create(
            reviewer=by, organization_id=organization_id, defaults={"reason": reason}
        )
        log(
            instance=assignment, action="review.conflict.declared", user=by, data={"reason": reason}
        )
        assignment.save(update_fields=["status", "conflict_reason", "declared_at"])
        _recuse(reviewer_id=by.pk, organization_id=organization_id, reason=reason, by=by, now=now)
        return assignment
    assignment.status = AssignmentStatus.ACCEPTED
    log(instance=assignment, action="review.conflict.none", user=by)
    assignment.save(update_fields=["status", "conflict_reason", "declared_at"])
    return assignment


def _recuse(*, reviewer_id: int, organization_id: int, reason: str, by, now: datetime) -> int:
    """Recuse the reviewer from every other assignment on the organization's
    applications in calls whose results are not published yet (a review they handed in
    there leaves every aggregate, and the call's ranking becomes stale)."""
    assignments = list(
        Assignment.objects.select_for_update()
        .filter(
            reviewer_id=reviewer_id,
            application__organization_id=organization_id,
            application__call__notice_published_at__isnull=True,
            status__in=ACTIVE_ASSIGNMENT_STATUSES,
        )
        .order_by("pk")
    )
    for other in assignments:
        other.status, other.conflict_reason, other.declared_at = (
            AssignmentStatus.CONFLICT,
            reason,
            now,
        )
        other.save(update_fields=["status", "conflict_reason", "declared_at"])
        log(
            instance=other,
            action="review.conflict.declared",
            user=by,
            data={"reason": reason, "covers_organization": True},
        )
    return len(assignments)


@transaction.atomic
def record_conflict(
    *, reviewer, organization, reason: str, by, now: datetime | None = None
) -> ConflictOfInterest:
    """Staff record a reviewer's conflict with an organization (回避).

    The reviewer is never assigned to the organization's applications again and is
    recused from every current assignment on them in calls not yet published. Side
    effects: audit log. Raises ``ValidationError`` without a reason or when the conflict
    is already recorded, ``PermissionDenied`` for non-staff."""
    _require_staff(by)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [_("Please give the reason for the conflict.")]})
    conflict, created = ConflictOfInterest.objects.get_or_create(
        reviewer=reviewer, organization=organization, defaults={"reason": reason}
    )
    if not created:
        raise ValidationError(_("This conflict of interest is already recorded."))
    log(instance=conflict, action="review.conflict.record", user=by, data={"reason": reason})
    _recuse(
        reviewer_id=reviewer.pk,
        organization_id=organization.pk,
        reason=reason,
        by=by,
        now=now or timezone.now(),
    )
    return conflict


def review_frozen_reason(
    *, call: CallPage, config: ReviewSettings, review: Review | None, now: datetime
) -> str | None:
    """Why a review of ``call`` can no longer be saved (``None`` while it can).

    Reviews freeze when the review window closes and when the results are published;
    a review that staff reopened (with a reason) after that moment may be saved again."""
    reopened = review.reopened_at if review is not None else None
    published = call.notice_published_at
    if published is not None and not (reopened and reopened >= published):
        return _("The results are published; reviews can no longer be changed.")
    deadline = config.deadline
    if deadline is not None and now > deadline and not (reopened and reopened >= deadline):
        return _("The review window closed on %(deadline)s; reviews can no longer be changed.") % {
            "deadline": formats.date_format(timezone.localtime(deadline), "DATETIME_FORMAT")
        }
    return None


@transaction.atomic
def declare_roster(
    *, call: CallPage, by, conflicts: dict[int, str], now: datetime | None = None
) -> RosterDeclaration:
    """A reviewer's conflict declaration against a blind call's roster (回避, made once
    before any proposal is shown).

    ``conflicts`` maps organization id → reason for each roster organization the
    reviewer has a conflict with; every other organization on the roster is declared
    free of conflict. Conflicts are remembered (never assigned again) and recuse the
    reviewer from those organizations' applications; the reviewer's pending assignments
    on the others are accepted. Organizations that join the roster later are declared
    on in a second round. Side effects: audit log (counts only, so the log never links
    the reviewer to an applicant). Raises ``PermissionDenied`` without an assignment in
    the call, ``ValidationError`` (per organization) for a missing reason, an
    organization not on the roster or nothing left to declare."""
    now = now or timezone.now()
    if not Assignment.objects.filter(application__call=call, reviewer=by).exists():
        raise PermissionDenied(_("You have no assignment in this call."))
    to_declare = {org.pk: org for org in selectors.roster_to_declare(call, by)}
    if not to_declare:
        raise ValidationError(_("You have already made your declaration."))
    errors = {}
    for org_id, reason in conflicts.items():
        if org_id not in to_declare:
            raise ValidationError(_("That organization is not on this call's roster."))
        if not (reason or "").strip():
            errors[f"reason_{org_id}"] = [_("Please give the reason for the conflict.")]
    if errors:
        raise ValidationError(errors)
    declaration, _created = RosterDeclaration.objects.select_for_update().get_or_create(
        reviewer=by, call=call, defaults={"declared_at": now}
    )
    for org_id, reason in conflicts.items():
        reason = reason.strip()
        ConflictOfInterest.objects.get_or_create(
            reviewer=by, organization_id=org_id, defaults={"reason": reason}
        )
        _recuse(reviewer_id=by.pk, organization_id=org_id, reason=reason, by=by, now=now)
    accepted = Assignment.objects.filter(
        application__call=call,
        reviewer=by,
        status=AssignmentStatus.PENDING,
        application__organization_id__in=[pk for pk in to_declare if pk not in conflicts],
    ).update(status=AssignmentStatus.ACCEPTED, declared_at=now)
    declaration.organizations = sorted({*declaration.organizations, *to_declare})
    declaration.declared_at = now
    declaration.save(update_fields=["organizations", "declared_at"])
    log(
        instance=declaration,
        action="review.roster.declared",
        user=by,
        data={"organizations": len(to_declare), "conflicts": len(conflicts), "accepted": accepted},
    )
    return declaration


def _review_for_update(assignment: Assignment, by, now: datetime) -> Review:
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
    call = assignment.application.call
    config = settings_for(call)
    review, _created = Review.objects.select_for_update().get_or_create(
        assignment=assignment, defaults={"rubric": config.rubric}
    )
    if review.is_locked:
        raise PermissionDenied(_("This review has been handed in and can no longer be changed."))
    frozen = review_frozen_reason(call=call, config=config, review=review, now=now)
    if frozen:
        raise ValidationError(frozen)
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
    ``ValidationError`` (a dict: criterion id or field → messages; or one message once
    the review window closed or the results are published)."""
    now = now or timezone.now()
    review = _review_for_update(assignment, by, now)
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
    changes = scoring.apply_scores(
        sheet=review, item_field="criterion", items=criteria, values=scores
    )
    review.strengths, review.weaknesses = strengths, weaknesses
    review.comments, review.recommendation = comments, recommendation
    review.total = weighted_total(criteria, {k: v for k, v in scores.items() if v is not None})
    if submit:
        review.status = ReviewStatus.SUBMITTED
        review.submitted_at = now
    review.save()
    if changes:
        log(instance=review, action="review.score.change", user=by, data={"changes": changes})
    if submit:
        log(instance=review, action="review.submit", user=by, data={"total": str(review.total)})
    return review


@transaction.atomic
def abstain(*, assignment: Assignment, by, reason: str, now: datetime | None = None) -> Review:
    """Hand in the review as an abstention (kept out of every aggregate).

    Raises ``ValidationError`` without a reason or once reviews are frozen,
    ``PermissionDenied`` as ``save_review``."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"abstain_reason": [_("Please give the reason for abstaining.")]})
    now = now or timezone.now()
    review = _review_for_update(assignment, by, now)
    review.status = ReviewStatus.ABSTAINED
    review.abstain_reason = reason
    review.submitted_at = now
    review.save()
    log(instance=review, action="review.abstain", user=by, data={"reason": reason})
    return review


@transaction.atomic
def reopen_review(*, review: Review, by, reason: str, now: datetime | None = None) -> Review:
    """Staff unlock a handed-in review so the reviewer can change it, even after the
    review window closed or the results were published (e.g. for an upheld appeal).

    The call's ranking becomes stale (publishing refuses it until the call is ranked
    again). Side effects: audit log with the reason. Raises ``ValidationError`` when the
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
    review.reopened_at = now or timezone.now()
    review.save(
        update_fields=["status", "submitted_at", "abstain_reason", "reopened_at", "updated_at"]
    )
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
def rank_call(*, call: CallPage, by=None, now: datetime | None = None) -> list[ranking.Ranked]:
    """Compute and store the call's ranking (see ``ranking`` for every definition).

    Replaces the call's previous ranking entries (``RankingEntry`` rows) and returns
    them in rank order as ``ranking.Ranked`` values. Only applications with the call's
    required number of submitted reviews are ranked; the others are "not ranked —
    insufficient reviews" (``selectors.review_coverage``). Tiers follow the settings'
    funded/reserve counts. Records the ranking time (a review changed later makes the
    ranking stale). Side effect: audit log on the call when run by a user. Raises
    ``ValidationError`` without settings."""
    config = settings_for(call)
    now = now or timezone.now()
    totals = ranking.review_totals(call.pk)
    submitted = dict(Application.objects.filter(call=call).values_list("pk", "submitted_at"))
    max_total = config.rubric.max_total()
    ranked = ranking.rank(
        totals=totals,
        submitted_at=submitted,
        max_total=float(max_total),
        threshold=config.disagreement_threshold,
        drop_extremes=config.drop_extremes,
        tiers=ranking.Tiers.of(config, max_total),
        min_reviews=config.reviewers_per_application,
        committee_orders=committee_orders(call),
    )
    _store_ranking(call, ranked)
    ReviewSettings.objects.filter(pk=config.pk).update(ranked_at=now)
    config.ranked_at = now
    if by is not None:
        unranked = [row.application_id for row in selectors.review_coverage(call)]
        ranked_ids = {r.application_id for r in ranked}
        log(
            instance=call,
            action="review.rank",
            user=by,
            data={
                "ranked": len(ranked),
                "not_ranked_insufficient_reviews": [a for a in unranked if a not in ranked_ids],
            },
        )
    return ranked


def _project_slug(application: Application) -> str:
    base = slugify(application.title or "", allow_unicode=True)[:60] or "project"
    return f"{base}-a{application.pk}"


def _decide_project(decision: Decision, application: Application, tier: str, call) -> None:
    project = decision.project
    if tier != ProjectTier.NOT_FUNDED:
        if project is None:
            project = Project.objects.create(
                organization_id=application.organization_id,
                call=call,
                title=application.title or str(application),
                slug=_project_slug(application),
                summary=(application.answers.get("basic") or {}).get("summary", ""),
                status=ProjectStatus.APPROVED,
                tier=tier,
                region=application.organization.region,
                goal_amount=application.requested_amount,
                currency=application.currency,
            )
        else:
            project.tier, project.status = tier, ProjectStatus.APPROVED
            project.save(update_fields=["tier", "status"])
    elif project is not None:
        project.tier = ProjectTier.NOT_FUNDED
        project.save(update_fields=["tier"])
    decision.project = project


def open_ties(call: CallPage) -> list[tuple[list[RankingEntry], bool]]:
    """The call's stored ranking's ties at a cut, each with whether the committee has
    decided it: ``[(entries in rank order, decided), …]``."""
    entries = list(
        RankingEntry.objects.filter(call=call).select_related("application").order_by("rank")
    )
    decided = {frozenset(order) for order in committee_orders(call)}
    return [
        (group, frozenset(e.application_id for e in group) in decided)
        for group in ranking.cut_ties(entries)
    ]


@transaction.atomic
def decide_tie(
    *, call: CallPage, order: list[int], reason: str, by, now: datetime | None = None
) -> TieDecision:
    """Record the review committee's order for a tie at a cut and re-rank the call.

    ``order`` lists the application ids of one tie of the stored ranking
    (``open_ties``), the committee's first choice first; ``reason`` is required. The
    ranking is recomputed at once with the order applied (it is applied again whenever
    the same applications tie). Side effect: audit log ``review.tie.decide``. Raises
    ``ValidationError`` (field ``order`` or ``reason``) for anything else, nothing
    changed; ``PermissionDenied`` for non-staff."""
    _require_staff(by)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [_("Record the committee's reasons.")]})
    settings_for(call)
    if selectors.is_ranking_stale(call):
        raise ValidationError(
            _("A review changed after the ranking was computed; rank the call again first.")
        )
    ties = [{e.application_id for e in group} for group, _decided in open_ties(call)]
    if len(order) != len(set(order)) or set(order) not in ties:
        raise ValidationError({"order": [_("List each of the tied applications exactly once.")]})
    decision = TieDecision.objects.create(
        call=call,
        applications=list(order),
        reason=reason,
        decided_by=by,
        decided_at=now or timezone.now(),
    )
    log(
        instance=call,
        action="review.tie.decide",
        user=by,
        data={"applications": list(order), "reason": reason},
    )
    rank_call(call=call, by=by, now=now)
    return decision


@transaction.atomic
def publish_results(
    *,
    call: CallPage,
    by,
    now: datetime | None = None,
    override_reason: str = "",
    ranking_seen: datetime | None = None,
) -> int:
    """Publish the ranking as the call's public notice (公示) with an appeal window.

    Refuses (``ValidationError``) without a ranking, with a stale ranking (a review
    changed after it was computed), without tier boundaries, and — unless
    ``override_reason`` is given — while the review window is open or an eligible
    application lacks its required reviews; and while applications tie at a cut without
    the committee's recorded order (``decide_tie``). Republishing with nothing changed is
    refused. ``ranking_seen``: the ranking time the officer confirmed
    (``publication.preview_publication``); refused when the call was ranked again since.

    Guarantees: every eligible application gets exactly one ``Decision``: ranked ones
    their rank and tier, the others "not ranked — insufficient reviews" (no rank, not
    funded); every earlier decision is re-decided (no two decisions share a rank, a
    project whose application dropped out of the funded tiers becomes not funded).
    Funded and reserve applications get a ``Project`` (created once, updated after).
    Sets the call's ``notice_published_at``/``appeal_ends_at`` and a new notice version.
    Side effects: audit log (with the override reason and what it overrode), on-site
    notification and email to every applicant organization whose outcome is new or
    changed. Returns how many decisions were published. ``PermissionDenied`` for
    non-staff."""
    _require_staff(by)
    now = now or timezone.now()
    call = CallPage.objects.select_for_update().get(pk=call.pk)
    config = ReviewSettings.objects.select_for_update().get(pk=settings_for(call).pk)
    if ranking_seen is not None and config.ranked_at != ranking_seen:
        raise ValidationError(
            _("The call was ranked again after you checked the results; check them again.")
        )
    plan = plan_publication(call=call, config=config, now=now, override_reason=override_reason)
    entries, outcome, before = plan.entries, plan.outcome, plan.before
    RankingEntry.objects.bulk_update(entries, ["tier"])
    # Free every rank first, so re-deciding never meets a rank still held by an older
    # decision (ranks are unique in a call).
    Decision.objects.filter(call=call).update(rank=None, tier=ProjectTier.NOT_FUNDED)
    existing = {
        d.application_id: d for d in Decision.objects.filter(call=call).select_related("project")
    }
    version = config.notice_version + 1
    for application, rank, normalised, tier in outcome:
        decision = existing.get(application.pk) or Decision(application=application, call=call)
        decision.rank, decision.normalised, decision.tier = rank, normalised, tier
        decision.published_at, decision.decided_by = now, by
        decision.notice_version = version
        _decide_project(decision, application, tier, call)
        decision.save()
    appeal_ends = now + timedelta(days=config.appeal_days)
    CallPage.objects.filter(pk=call.pk).update(notice_published_at=now, appeal_ends_at=appeal_ends)
    ReviewSettings.objects.filter(pk=config.pk).update(notice_version=version)
    changed = plan.changed
    log(
        instance=call,
        action="review.publish",
        user=by,
        data={
            "decisions": len(outcome),
            "notice_version": version,
            "not_ranked": [a.pk for a in plan.unranked],
            "changed": [a.pk for a in changed],
            "appeal_ends_at": appeal_ends.isoformat(),
        },
    )
    if plan.blockers:
        log(
            instance=call,
            action="review.publish.override",
            user=by,
            data={"reason": override_reason.strip(), "overridden": plan.blockers},
        )
    for application, rank, _n, tier in outcome:
        if application.pk in before and before[application.pk] == plan.after[application.pk]:
            continue
        _notify_outcome(call=call, application=application, rank=rank, tier=tier, until=appeal_ends)
    return len(outcome)


def _notify_outcome(*, call: CallPage, application: Application, rank, tier, until) -> None:
    params = {"call": call.title, "title": application.title or application.pk, "until": until}
    if rank is None:
        body = gettext_lazy(
            "“%(title)s” was not ranked: it did not receive enough reviews. "
            "Objections may be raised until %(until)s."
        )
    else:
        body = gettext_lazy(
            "“%(title)s” ranked %(rank)d: %(tier)s. Objections may be raised until %(until)s."
        )
        params.update(rank=rank, tier=ProjectTier(tier).label)
    notify_members(
        organization=application.organization,
        title=gettext_lazy("Results of “%(call)s” are published"),
        body=body,
        params=params,
        url=application.get_absolute_url(),
    )


def appeal_window_error(*, call: CallPage, at: datetime) -> str | None:
    """Why an appeal dated ``at`` is outside the call's appeal window (``None`` inside)."""
    if call.notice_published_at is None or call.appeal_ends_at is None:
        return _("The results of this call are not published; there is nothing to appeal yet.")
    if at < call.notice_published_at:
        return _("An appeal cannot be dated before the results were published.")
    if at > call.appeal_ends_at:
        return _("The appeal window closed on %(date)s.") % {
            "date": formats.date_format(timezone.localtime(call.appeal_ends_at), "DATETIME_FORMAT")
        }
    return None


@transaction.atomic
def record_appeal(
    *,
    decision: Decision,
    appellant: str,
    text: str,
    by,
    received_at: datetime | None = None,
    now: datetime | None = None,
) -> Appeal:
    """Record an objection received during the notice (staff enter it).

    The date received defaults to now and must lie inside the call's appeal window
    (and not in the future). Side effects: audit log. Raises ``ValidationError``
    (with the field) when the text is empty or the date is outside the window."""
    _require_staff(by)
    now = now or timezone.now()
    received_at = received_at or now
    if not text.strip() or not appellant.strip():
        raise ValidationError(_("Who raised the appeal and what it says are required."))
    if received_at > now:
        raise ValidationError({"received_at": [_("The date received cannot be in the future.")]})
    call = CallPage.objects.get(pk=decision.call_id)
    problem = appeal_window_error(call=call, at=received_at)
    if problem:
        raise ValidationError({"received_at": [problem]})
    appeal = Appeal.objects.create(
        decision=decision,
        appellant=appellant.strip(),
        text=text.strip(),
        received_at=received_at,
    )
    log(instance=appeal, action="review.appeal.record", user=by)
    return appeal


def _programme_staff():
    return get_user_model().objects.filter(groups__name=PROGRAMME_OFFICER, is_active=True)


def attachment_type(upload) -> str:
    """The sniffed content type of an appeal's attachment (the applications' attachment
    types and size limit); ``ValidationError`` on field ``attachment`` saying why not."""
    try:
        return check_upload(upload, allowed=ATTACHMENT_TYPES)
    except ValidationError as error:
        raise ValidationError({"attachment": error.messages}) from None


def _require_editor(application: Application, by) -> None:
    membership = Membership.objects.filter(
        user=by, organization_id=application.organization_id
    ).first()
    if membership is None or not membership.can_edit:
        raise PermissionDenied(_("Only the organization's owners and editors may do this."))


@transaction.atomic
def submit_appeal(
    *, application: Application, by, grounds: str, attachment=None, now: datetime | None = None
) -> Appeal:
    """The applicant organization appeals its published decision online (异议).

    One appeal per application (a withdrawn one counts; database constraint), inside the
    call's appeal window, by an owner or editor, with written grounds and optionally one
    ``attachment`` (checked by content and size with ``projects.uploads.check_upload``,
    stored privately). Side effects: audit log; the organization's members and the
    programme officers are notified. Raises ``PermissionDenied`` for anyone else,
    ``ValidationError`` (field ``grounds`` or ``attachment``, or the window/duplicate
    reason) otherwise."""
    _require_editor(application, by)
    now = now or timezone.now()
    grounds = (grounds or "").strip()
    if not grounds:
        raise ValidationError({"grounds": [_("Please write the grounds of the appeal.")]})
    content_type = attachment_type(attachment) if attachment else ""
    decision = (
        Decision.objects.select_for_update()
        .select_related("call", "application__organization")
        .filter(application=application)
        .first()
    )
    if decision is None:
        raise ValidationError(_("There is no published decision to appeal."))
    problem = appeal_window_error(call=decision.call, at=now)
    if problem:
        raise ValidationError(problem)
    if Appeal.objects.filter(decision=decision, organization__isnull=False).exists():
        raise ValidationError(_("An appeal for this application has already been submitted."))
    organization = application.organization
    appeal = Appeal.objects.create(
        decision=decision,
        appellant=organization.name,
        organization=organization,
        submitted_by=by,
        text=grounds,
        received_at=now,
        attachment=attachment or "",
        attachment_name=attachment.name[:255] if attachment else "",
        attachment_content_type=content_type,
    )
    log(
        instance=appeal,
        action="review.appeal.submit",
        user=by,
        data={"attachment": appeal.attachment_name},
    )
    params = {"title": application.title or application.pk, "call": decision.call.title}
    notify_members(
        organization=organization,
        title=gettext_lazy("Your appeal is received"),
        body=gettext_lazy("The appeal on “%(title)s” (%(call)s) is received and will be answered."),
        params=params,
        url=application.get_absolute_url(),
    )
    notify(
        users=_programme_staff(),
        title=gettext_lazy("New appeal on “%(title)s”"),
        body=gettext_lazy("An applicant appealed its result in “%(call)s”."),
        params=params,
        url=reverse("review_appeals:index"),
    )
    return appeal


@transaction.atomic
def withdraw_appeal(*, appeal: Appeal, by, now: datetime | None = None) -> Appeal:
    """The applicant withdraws its appeal while it is not handled yet.

    Side effects: audit log, notification to the programme officers. Raises
    ``PermissionDenied`` for anyone but the organization's owners and editors,
    ``ValidationError`` once the appeal is resolved or withdrawn."""
    appeal = (
        Appeal.objects.select_for_update()
        .select_related("decision__application", "decision__call")
        .get(pk=appeal.pk)
    )
    application = appeal.decision.application
    if appeal.organization_id != application.organization_id:
        raise PermissionDenied(_("This appeal was not filed online by the applicant."))
    _require_editor(application, by)
    if appeal.status != AppealStatus.OPEN:
        raise ValidationError(_("This appeal is already handled and cannot be withdrawn."))
    appeal.status = AppealStatus.WITHDRAWN
    appeal.resolved_at = now or timezone.now()
    appeal.save(update_fields=["status", "resolved_at"])
    log(instance=appeal, action="review.appeal.withdraw", user=by)
    notify(
        users=_programme_staff(),
        title=gettext_lazy("Appeal withdrawn on “%(title)s”"),
        body=gettext_lazy("The applicant withdrew its appeal in “%(call)s”."),
        params={"title": application.title or application.pk, "call": appeal.decision.call.title},
        url=reverse("review_appeals:index"),
    )
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
