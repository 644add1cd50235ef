"""Demo review data (see ``portal.demo``): settings on two calls, assignments, scored
reviews, a ranking and a published notice on the oldest call; a review in progress on
the recently closed one so reviewer1 has a queue."""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from organizations.models import Organization
from portal.core.demo import DemoContext
from projects.enums import ApplicationStatus
from projects.models import Application, CallPage

from . import services
from .enums import AssignmentStatus, ReviewStatus
from .models import Assignment, Decision, Review, ReviewSettings, Rubric

DEMO_TITLES = [
    "长者助餐点运营",
    "儿童课后托管",
    "社区议事厅",
    "残障青年就业",
    "邻里互助会",
    "社区花园共建",
    "防灾减灾培训",
    "非遗进社区",
]


def _applications(ctx: DemoContext, call: CallPage, orgs: list[Organization], count: int):
    """Eligible applications on ``call`` (existing ones first, then demo ones)."""
    existing = list(
        Application.objects.filter(call=call, status=ApplicationStatus.ELIGIBLE).order_by("pk")
    )
    used = {a.organization_id for a in Application.objects.filter(call=call)}
    for i, org in enumerate(orgs):
        if len(existing) >= count:
            break
        if org.pk in used:
            continue
        amount = (60_000 + 10_000 * (i % 5)) * 100
        application = Application.objects.create(
            call=call,
            organization=org,
            title=DEMO_TITLES[i % len(DEMO_TITLES)],
            status=ApplicationStatus.ELIGIBLE,
            requested_amount=amount,
            total_amount=amount,
            answers={
                "basic": {
                    "title": DEMO_TITLES[i % len(DEMO_TITLES)],
                    "summary": f"{org.name}面向社区居民的服务项目。",
                }
            },
            submitted_at=call.closes_at - timedelta(days=3, hours=i),
            last_submitted_at=call.closes_at - timedelta(days=3, hours=i),
        )
        existing.append(application)
    return existing


def _score(ctx: DemoContext, assignment: Assignment, *, submit: bool) -> None:
    review = Review.objects.filter(assignment=assignment).first()
    if review is not None and review.status != ReviewStatus.DRAFT:
        return
    rubric = assignment.application.call.review_settings.rubric
    base = ctx.rng.choice([5, 6, 7, 8])
    scores = {
        c.pk: Decimal(min(10, max(0, base + ctx.rng.choice([-1, 0, 0.5, 1]))))
        for c in rubric.criteria.all()
    }
    services.save_review(
        assignment=assignment,
        by=assignment.reviewer,
        scores=scores,
        strengths="需求调研扎实，服务对象明确。",
        weaknesses="可持续性方案略显单薄。",
        comments="",
        recommendation="fund" if base >= 6 else "fund_with_changes",
        submit=submit,
    )


def _review_call(
    ctx: DemoContext,
    call: CallPage,
    rubric: Rubric,
    orgs,
    *,
    count: int,
    funded: int,
    reserve: int,
    finish: bool,
) -> None:
    users = ctx.shared["users"]
    officer = users["officer"]
    if call.notice_published_at is not None:
        return  # seeded before: its reviews are frozen and its results published
    ReviewSettings.objects.update_or_create(
        call=call,
        defaults={
            "rubric": rubric,
            "reviewers_per_application": 2,
            "funded_count": funded,
            "reserve_count": reserve,
            # Set after the demo's reviews are in: reviews freeze once the window closes.
            "deadline": None,
            "blind": not finish,
        },
    )
    call.refresh_from_db()
    _applications(ctx, call, orgs, count)
    services.auto_assign(call=call, by=officer)
    assignments = list(
        Assignment.objects.filter(application__call=call)
        .select_related("application__call__review_settings__rubric", "reviewer")
        .order_by("pk")
    )
    for n, assignment in enumerate(assignments):
        if not finish and assignment.reviewer == users["reviewer1"] and n % 3 == 2:
            continue  # left for reviewer1 to declare in the demo
        if assignment.status == AssignmentStatus.PENDING:
            services.declare_conflict(assignment=assignment, by=assignment.reviewer, conflict=False)
            assignment.status = AssignmentStatus.ACCEPTED
        _score(ctx, assignment, submit=finish or n % 2 == 0)
    deadline = call.closes_at + timedelta(days=20)
    if finish:
        # Results are published two days ago, after the review window closed.
        deadline = min(deadline, timezone.now() - timedelta(days=3))
    ReviewSettings.objects.filter(call=call).update(deadline=deadline)
    if finish:
        services.rank_call(call=call, by=officer)
        for entries, decided in services.open_ties(call):
            if not decided:  # the demo's committee keeps the tie-breaks' order
                services.decide_tie(
                    call=call,
                    order=[e.application_id for e in entries],
                    reason="评审委员会会议表决：维持并列规则给出的顺序。",
                    by=officer,
                )
        if not Decision.objects.filter(call=call).exists():
            services.publish_results(call=call, by=officer, now=timezone.now() - timedelta(days=2))


@transaction.atomic
def seed(ctx: DemoContext) -> None:
    rubric = Rubric.objects.get(code="default", version=1)
    calls = {c.slug: c for c in ctx.shared.get("calls", [])}
    orgs = list(Organization.objects.verified().exclude(slug__startswith="bulk-").order_by("pk"))
    if not orgs or "2025-community" not in calls:
        ctx.log("review: skipped (no calls or organizations)")
        return
    _review_call(
        ctx, calls["2025-community"], rubric, orgs, count=6, funded=2, reserve=2, finish=True
    )
    if "2026-youth" in calls:
        _review_call(
            ctx, calls["2026-youth"], rubric, orgs, count=5, funded=2, reserve=1, finish=False
        )
    ctx.log(
        f"review: {Assignment.objects.count()} assignments, "
        f"{Review.objects.filter(status=ReviewStatus.SUBMITTED).count()} submitted "
        f"reviews, {Decision.objects.count()} published decisions"
    )
