"""Reads for the reviewer queue, the score page, the staff progress dashboard and results."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet
from django.http import Http404
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from organizations.models import Organization
from projects.enums import ApplicationStatus
from projects.models import Application, CallPage

from .enums import (
    ACTIVE_ASSIGNMENT_STATUSES,
    AppealStatus,
    AssignmentStatus,
    ReviewStatus,
    ScoreVisibility,
)
from .models import Appeal, Assignment, Decision, Review, ReviewSettings, RosterDeclaration

HANDED_IN = (ReviewStatus.SUBMITTED, ReviewStatus.ABSTAINED)


@dataclass
class Queue:
    assignments: list[Assignment]
    done: int
    total: int

    def next_open_after(self, pk: int) -> Assignment | None:
        """The first assignment still to do other than ``pk`` ("save and next")."""
        return next((a for a in self.assignments if a.pk != pk and not is_handed_in(a)), None)


def is_handed_in(assignment: Assignment) -> bool:
    review = getattr(assignment, "review", None)
    return review is not None and review.status in HANDED_IN


def queue_for_reviewer(user) -> Queue:
    """The reviewer's assignments, oldest call first, with progress: only the rows the
    user may review (``review.review_assignment``: recused ones and those on an
    organization staff recorded a conflict with are left out).

    Constant queries whatever the queue length (assignments with application, call,
    settings and review joined; the user's roles and recorded conflicts once)."""
    assignments = [
        assignment
        for assignment in Assignment.objects.filter(
            reviewer=user, status__in=ACTIVE_ASSIGNMENT_STATUSES
        )
        .select_related("application__organization", "application__call__review_settings", "review")
        .order_by("application__call__closes_at", "application_id")
        if user.has_perm("review.review_assignment", assignment)
    ]
    done = sum(1 for a in assignments if is_handed_in(a))
    return Queue(assignments=assignments, done=done, total=len(assignments))


def assignment_for(user, pk: int) -> Assignment:
    """The user's own assignment ``pk`` or ``Http404`` (another reviewer's id is never
    revealed as existing)."""
    try:
        return Assignment.objects.select_related(
            "application__organization", "application__call__review_settings__rubric", "reviewer"
        ).get(pk=pk, reviewer=user)
    except Assignment.DoesNotExist:
        raise Http404 from None


def call_roster(call: CallPage) -> list:
    """The applicant organizations of a call's eligible applications, by name (the
    roster a blind reviewer declares conflicts against; never linked to proposals)."""
    return list(
        Organization.objects.filter(
            applications__call=call, applications__status=ApplicationStatus.ELIGIBLE
        )
        .distinct()
        .order_by("name", "pk")
    )


def roster_to_declare(call: CallPage, reviewer) -> list:
    """The roster organizations ``reviewer`` has not declared on yet (empty once done)."""
    declared = set(
        RosterDeclaration.objects.filter(call=call, reviewer=reviewer)
        .values_list("organizations", flat=True)
        .first()
        or []
    )
    return [org for org in call_roster(call) if org.pk not in declared]


def other_reviews(assignment: Assignment, own: Review | None) -> list[Review] | None:
    """Other reviewers' handed-in reviews when the call allows it and the user's own
    review is handed in; ``None`` when they must stay hidden."""
    config: ReviewSettings = assignment.application.call.review_settings
    if config.score_visibility != ScoreVisibility.AFTER_SUBMIT:
        return None
    if own is None or own.status not in HANDED_IN:
        return None
    return list(
        Review.objects.filter(
            assignment__application_id=assignment.application_id, status=ReviewStatus.SUBMITTED
        )
        .exclude(assignment_id=assignment.pk)
        .prefetch_related("scores__criterion")
        .order_by("pk")
    )


def calls_in_review() -> QuerySet[CallPage]:
    """Calls that have review settings, newest first."""
    return (
        CallPage.objects.filter(review_settings__isnull=False)
        .select_related("review_settings__rubric")
        .order_by("-closes_at")
    )


def reviewer_progress(call: CallPage) -> list[dict]:
    """Per reviewer: assigned (active), handed in, recused. One query."""
    return list(
        Assignment.objects.filter(application__call=call)
        .values("reviewer_id", "reviewer__username", "reviewer__first_name", "reviewer__last_name")
        .annotate(
            assigned=Count("pk", filter=Q(status__in=ACTIVE_ASSIGNMENT_STATUSES)),
            done=Count(
                "pk", filter=Q(status__in=ACTIVE_ASSIGNMENT_STATUSES, review__status__in=HANDED_IN)
            ),
            recused=Count("pk", filter=Q(status=AssignmentStatus.CONFLICT)),
        )
        .order_by("reviewer__username")
    )


def application_progress(call: CallPage, limit: int = 500) -> list[Application]:
    """Eligible applications with reviews assigned / in, fewest in first. One query."""
    return list(
        Application.objects.filter(call=call, status=ApplicationStatus.ELIGIBLE)
        .select_related("organization")
        .annotate(
            n_assigned=Count(
                "review_assignments",
                filter=Q(review_assignments__status__in=ACTIVE_ASSIGNMENT_STATUSES),
            ),
            n_in=Count(
                "review_assignments",
                filter=Q(review_assignments__review__status=ReviewStatus.SUBMITTED),
            ),
        )
        .order_by("n_in", "pk")[:limit]
    )


@dataclass(frozen=True)
class Coverage:
    """Reviews done / required for one eligible application."""

    application_id: int
    title: str
    organization_name: str
    done: int
    required: int

    @property
    def is_sufficient(self) -> bool:
        return self.done >= self.required


def review_coverage(call: CallPage) -> list[Coverage]:
    """Every eligible application of ``call`` with its submitted reviews (by reviewers
    not recused) against the call's reviewers per application, fewest done first.
    One query. Abstentions do not count: they are kept out of every aggregate."""
    required = call.review_settings.reviewers_per_application
    rows = (
        Application.objects.filter(call=call, status=ApplicationStatus.ELIGIBLE)
        .annotate(
            done=Count(
                "review_assignments",
                filter=Q(
                    review_assignments__status__in=ACTIVE_ASSIGNMENT_STATUSES,
                    review_assignments__review__status=ReviewStatus.SUBMITTED,
                ),
            )
        )
        .order_by("done", "pk")
        .values_list("pk", "title", "organization__name", "done")
    )
    return [
        Coverage(
            application_id=pk,
            title=title or f"#{pk}",
            organization_name=organization_name,
            done=done,
            required=required,
        )
        for pk, title, organization_name, done in rows
    ]


def is_ranking_stale(call: CallPage) -> bool:
    """True when a review of ``call`` changed (saved, handed in, reopened) after the
    ranking was computed, or the call was never ranked."""
    ranked_at = call.review_settings.ranked_at
    if ranked_at is None:
        return True
    return Review.objects.filter(
        assignment__application__call=call, updated_at__gt=ranked_at
    ).exists()


def publication_blockers(call: CallPage, now) -> list[str]:
    """What should stop the results from being published (a programme officer may
    override them with a written reason): the review window still open, and every
    eligible application short of its required reviews. Translated sentences."""
    blockers = []
    deadline = call.review_settings.deadline
    if deadline is not None and now < deadline:
        blockers.append(
            _("The review window is open until %(deadline)s.")
            % {"deadline": formats.date_format(timezone.localtime(deadline), "DATETIME_FORMAT")}
        )
    for row in review_coverage(call):
        if not row.is_sufficient:
            blockers.append(
                _("“%(title)s” has %(done)d of %(required)d reviews.")
                % {"title": row.title, "done": row.done, "required": row.required}
            )
    return blockers


def score_distribution(call: CallPage, max_total: Decimal, bins: int = 10) -> list[int]:
    """How many submitted review totals fall in each of ``bins`` equal bands of the
    rubric's range (the top value counts in the last band). One query."""
    counts = [0] * bins
    if max_total <= 0:
        return counts
    totals = Review.objects.filter(
        assignment__application__call=call, status=ReviewStatus.SUBMITTED
    ).values_list("total", flat=True)
    for total in totals:
        index = min(int(total * bins / max_total), bins - 1)
        counts[max(index, 0)] += 1
    return counts


def reviewed_call(call: CallPage) -> CallPage | None:
    """The page carrying the review for ``call``: itself, or its translation that has
    review settings (results shown on every language's page)."""
    if ReviewSettings.objects.filter(call=call).exists():
        return call
    return CallPage.objects.filter(
        translation_key=call.translation_key, review_settings__isnull=False
    ).first()


def published_results(call: CallPage) -> list[Decision]:
    """The call's published decisions in rank order, organization names only."""
    return list(
        Decision.objects.filter(call=call)
        .select_related("application__organization", "project")
        .order_by(F("rank").asc(nulls_last=True), "pk")
    )


@dataclass
class Outcome:
    """What the applicant sees of its published decision."""

    decision: Decision
    appeal_ends_at: object
    appeal: Appeal | None
    window_open: bool

    @property
    def can_appeal(self) -> bool:
        return self.window_open and self.appeal is None


def published_outcome(application: Application, now=None) -> Outcome | None:
    """The application's published decision (rank, tier), the appeal deadline and its
    own online appeal; ``None`` until results are published. Two queries."""
    decision = (
        Decision.objects.select_related("call")
        .filter(application=application, call__notice_published_at__isnull=False)
        .first()
    )
    if decision is None:
        return None
    now = now or timezone.now()
    call = decision.call
    appeal = Appeal.objects.filter(decision=decision, organization__isnull=False).first()
    window_open = (
        call.appeal_ends_at is not None and call.notice_published_at <= now <= call.appeal_ends_at
    )
    return Outcome(
        decision=decision,
        appeal_ends_at=call.appeal_ends_at,
        appeal=appeal,
        window_open=window_open,
    )


@dataclass(frozen=True)
class AppealCounts:
    """How many appeals a call's notice received and how they ended (counts only: the
    public notice names no appellant)."""

    received: int
    upheld: int
    dismissed: int
    withdrawn: int
    pending: int


def appeal_counts(call: CallPage) -> AppealCounts:
    """Counts of the call's appeals (online and recorded by staff) by status. One query."""
    rows = dict(
        Appeal.objects.filter(decision__call=call)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return AppealCounts(
        received=sum(rows.values()),
        upheld=rows.get(AppealStatus.UPHELD, 0),
        dismissed=rows.get(AppealStatus.DISMISSED, 0),
        withdrawn=rows.get(AppealStatus.WITHDRAWN, 0),
        pending=rows.get(AppealStatus.OPEN, 0),
    )
