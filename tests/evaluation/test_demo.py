import random

from organizations import demo as org_demo
from portal.demo import DemoContext, seed_site
from projects import demo as project_demo
from projects.evaluation import demo, guards
from projects.evaluation.enums import EvaluationStatus, FeedbackStatus, Grade
from projects.evaluation.models import Evaluation, ResidentFeedback


def test_demo_publishes_an_excellent_and_a_failed_evaluation_idempotently(db):
    ctx = DemoContext(size="small", rng=random.Random(3), log=lambda msg: None)
    seed_site(ctx)
    org_demo.seed(ctx)
    project_demo.seed(ctx)

    demo.seed(ctx)
    counts = (Evaluation.objects.count(), ResidentFeedback.objects.count())
    demo.seed(ctx)

    assert counts == (Evaluation.objects.count(), ResidentFeedback.objects.count())
    published = {
        e.grade: e
        for e in Evaluation.objects.filter(status=EvaluationStatus.PUBLISHED).select_related(
            "project"
        )
    }
    assert set(published) == {Grade.EXCELLENT, Grade.FAIL}
    failed = published[Grade.FAIL]
    assert failed.kind == "midterm"
    assert guards.failed_midterm_guard(failed.project, 2) is not None
    assert Evaluation.objects.filter(status=EvaluationStatus.OPEN).count() == 1
    statuses = set(ResidentFeedback.objects.values_list("status", flat=True))
    assert statuses == {FeedbackStatus.PUBLISHED, FeedbackStatus.PENDING}
