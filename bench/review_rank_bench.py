"""Review benchmarks: ``rank_call`` over 5,000 applications × 3 reviews × 6 criteria
(limit 2 s), and query counts of the reviewer queue and the progress dashboard selectors
(must not grow with the number of rows).

Runs against its own throw-away SQLite database (``REVIEW_BENCH_DB`` to choose the
file), so it never touches the development database. Run alone with
``python bench/run.py -k review``.
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import timedelta
from decimal import Decimal

APPLICATIONS = 5_000
REVIEWS_PER_APPLICATION = 3
REVIEWERS = 60
LIMIT_SECONDS = 2.0


def _use_private_database() -> str:
    from django.conf import settings
    from django.db import connections

    path = os.environ.get("REVIEW_BENCH_DB") or os.path.join(
        tempfile.mkdtemp(prefix="review-bench-"), "bench.sqlite3"
    )
    if os.path.exists(path):
        os.unlink(path)
    config = {**settings.DATABASES["default"], "ENGINE": "django.db.backends.sqlite3", "NAME": path}
    settings.DATABASES["default"] = config
    connections["default"].close()
    connections["default"].settings_dict.update(config)
    return path


def _build(rng):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.utils import timezone
    from wagtail.models import Page

    from organizations.models import Organization
    from organizations.roles import REVIEWER
    from projects.enums import ApplicationStatus
    from projects.models import Application, CallPage
    from projects.review.enums import AssignmentStatus, ReviewStatus
    from projects.review.models import Assignment, Review, ReviewSettings, Rubric, Score

    now = timezone.now()
    root = Page.get_first_root_node()

    def new_call(slug):
        call = CallPage(
            title=slug,
            slug=slug,
            opens_at=now - timedelta(days=60),
            closes_at=now - timedelta(days=30),
        )
        root.add_child(instance=call)
        return call

    big, small = new_call("bench-big"), new_call("bench-small")
    rubric = Rubric.objects.get(code="default", version=1)
    criteria = list(rubric.criteria.all())
    for call in (big, small):
        ReviewSettings.objects.create(
            call=call,
            rubric=rubric,
            reviewers_per_application=REVIEWS_PER_APPLICATION,
            funded_count=500,
            reserve_count=1000,
        )
    group, _ = Group.objects.get_or_create(name=REVIEWER)
    users = get_user_model().objects.bulk_create(
        [get_user_model()(username=f"bench-reviewer-{i}") for i in range(REVIEWERS)]
    )
    group.user_set.add(*users)
    orgs = Organization.objects.bulk_create(
        [
            Organization(name=f"基准机构{i}", slug=f"bench-org-{i}", credit_code=f"BENCH{i:013d}")
            for i in range(APPLICATIONS + 1)
        ]
    )
    apps = Application.objects.bulk_create(
        [
            Application(
                call=big if i < APPLICATIONS else small,
                organization=org,
                title=f"基准项目{i}",
                status=ApplicationStatus.ELIGIBLE,
                submitted_at=now - timedelta(minutes=i),
            )
            for i, org in enumerate(orgs)
        ],
        batch_size=1000,
    )
    assignments = []
    for i, app in enumerate(apps):
        for k in range(REVIEWS_PER_APPLICATION):
            reviewer = users[(i * REVIEWS_PER_APPLICATION + k) % REVIEWERS]
            assignments.append(
                Assignment(application=app, reviewer=reviewer, status=AssignmentStatus.ACCEPTED)
            )
    Assignment.objects.bulk_create(assignments, batch_size=2000)
    assignments = list(Assignment.objects.order_by("pk"))
    reviews, values = [], []
    for assignment in assignments:
        scores = [Decimal(rng.randrange(0, 21)) / 2 for _ in criteria]
        total = sum(Decimal(c.weight) * v / 10 for c, v in zip(criteria, scores, strict=True))
        reviews.append(
            Review(
                assignment=assignment,
                rubric=rubric,
                status=ReviewStatus.SUBMITTED,
                total=total,
                submitted_at=now,
            )
        )
        values.append(scores)
    Review.objects.bulk_create(reviews, batch_size=2000)
    reviews = list(Review.objects.order_by("assignment_id"))
    Score.objects.bulk_create(
        [
            Score(review=review, criterion=c, value=v)
            for review, scores in zip(reviews, values, strict=True)
            for c, v in zip(criteria, scores, strict=True)
        ],
        batch_size=5000,
    )
    return big, small, users


def _queries(fn) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def run() -> dict:
    import random

    from django.core.management import call_command

    _use_private_database()
    call_command("migrate", verbosity=0, interactive=False)
    big, small, users = _build(random.Random(5))

    from projects.review import selectors, services
    from projects.review.models import Assignment, RankingEntry

    timings = []
    for _ in range(3):
        started = time.perf_counter()
        services.rank_call(call=big)
        timings.append(time.perf_counter() - started)
    assert RankingEntry.objects.filter(call=big).count() == APPLICATIONS
    best = min(timings)
    load = os.getloadavg()[0]

    busy = users[0]
    lone = users[-1]
    Assignment.objects.filter(reviewer=lone).delete()
    Assignment.objects.create(
        application=small.applications.get(), reviewer=lone, status="accepted"
    )
    n_busy = Assignment.objects.filter(reviewer=busy).count()
    n_lone = Assignment.objects.filter(reviewer=lone).count()
    queue_busy = _queries(lambda: selectors.queue_for_reviewer(busy))
    queue_lone = _queries(lambda: selectors.queue_for_reviewer(lone))

    def progress(call):
        def page():
            selectors.reviewer_progress(call)
            selectors.application_progress(call)
            selectors.score_distribution(call, Decimal(100))
            list(call.ranking.select_related("application__organization")[:50])

        return page

    progress_big, progress_small = _queries(progress(big)), _queries(progress(small))
    return {
        "review_rank_call_5000x3x6": {
            "value": round(best, 3),
            "unit": "s",
            "baseline": LIMIT_SECONDS,
            "note": f"rank_call over {APPLICATIONS} applications × {REVIEWS_PER_APPLICATION} "
            f"reviews × 6 criteria on SQLite (SQL aggregate of "
            f"{APPLICATIONS * REVIEWS_PER_APPLICATION * 6} scores, z-scores, "
            f"tie-breaks, 5,000 rows stored); best of 3 "
            f"({', '.join(f'{t:.2f}' for t in timings)} s); baseline = the 2 s limit; "
            f"load average {load:.1f} on {os.cpu_count()} cores",
        },
        "review_queue_queries": {
            "value": queue_busy,
            "unit": "queries",
            "baseline": queue_lone,
            "note": f"queue_for_reviewer with {n_busy} assignments (value) vs {n_lone} "
            f"(baseline); ratio 1 = constant",
        },
        "review_progress_queries": {
            "value": progress_big,
            "unit": "queries",
            "baseline": progress_small,
            "note": f"progress dashboard selectors for a call of {APPLICATIONS} applications "
            f"(value) vs 1 (baseline); ratio 1 = constant",
        },
    }
