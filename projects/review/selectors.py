"""Reads for the reviewer queue, the score page, the staff progress dashboard and results."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from projects.enums import ApplicationStatus, ApplicationStep
from projects.models import Application, CallPage

from .enums import ACTIVE_ASSIGNMENT_STATUSES, AssignmentStatus, ReviewStatus, ScoreVisibility
from .models import Assignment, Decision, Review, ReviewSettings

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
    """The reviewer's assignments (recused ones left out), oldest call first, with progress.

    Two queries whatever the queue length (assignments with application, call, settings
    and review joined)."""
    assignments = list(
        Assignment.objects.filter(reviewer=user, status__in=ACTIVE_ASSIGNMENT_STATUSES)
        .select_related("application__organization", "application__call__review_settings", "review")
        .order_by("application__call__closes_at", "application_id")
    )
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


def blind_answers(answers: dict) -> dict:
    """The application's answers with people's names removed (blind review)."""
    answers = dict(answers)
    team = answers.get(ApplicationStep.TEAM)
    if team and "lines" in team:
        answers[ApplicationStep.TEAM] = {
            **team,
            "lines": [{**line, "name": "—"} for line in team["lines"]],
        }
    basic = answers.get(ApplicationStep.BASIC)
    if basic:
        answers[ApplicationStep.BASIC] = {
            k: v for k, v in basic.items() if k not in ("contact_name", "contact_phone")
        }
    return answers


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
        .order_by("rank")
    )
