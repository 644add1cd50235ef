"""Demo evaluations and residents' feedback (see ``portal.demo``).

A published final evaluation graded 优 (its project marked as a brand project), a
published mid-term graded 差 that holds the project's next disbursement tranche, an open
mid-term in the evaluator's queue, and residents' ratings (mostly published, one
awaiting moderation) from four demo residents.
Idempotent: evaluations by (project, kind), feedback by (project, resident).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from portal.core.demo import DEMO_PASSWORD, DemoContext
from projects.enums import ProjectStatus
from projects.models import Project

from . import brand, services
from .enums import AdjustmentKind, EvaluationKind, EvaluationStatus, FeedbackStatus
from .models import Evaluation, ResidentFeedback

RESIDENTS = ["resident1", "resident2", "resident3", "resident4"]
COMMENTS = [
    (5, "社区老人吃饭方便多了，志愿者很热心。"),
    (4, "活动很丰富，希望周末也能开放。"),
    (5, "孩子放学后有地方去，家长很放心。"),
    (3, "服务不错，但报名渠道不太好找。"),
]


def _residents(ctx: DemoContext) -> list:
    User = get_user_model()
    residents = []
    for username in RESIDENTS:
        email = f"{username}@example.org"
        user, created = User.objects.get_or_create(username=username, defaults={"email": email})
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        residents.append(user)
    ctx.logins.append(("resident", RESIDENTS[0]))
    return residents


def _scores(rubric, values) -> dict:
    return {d.pk: Decimal(str(v)) for d, v in zip(rubric.dimensions.all(), values, strict=True)}


def _item(rubric, kind: str, index: int):
    return [i for i in rubric.adjustment_items.all() if i.kind == kind][index]


def _evaluate(
    *,
    project: Project,
    kind: str,
    values,
    adjustments,
    conclusion: str,
    officer,
    evaluator,
    publish: bool,
    now,
) -> Evaluation:
    existing = Evaluation.objects.filter(project=project, kind=kind).first()
    if existing is not None:
        return existing
    evaluation = services.open_evaluation(project=project, kind=kind, by=officer)
    sheet = services.assign_evaluator(evaluation=evaluation, evaluator=evaluator, by=officer)
    if values is None:
        return evaluation
    rubric = evaluation.rubric
    services.save_assessment(
        assessment=sheet,
        by=evaluator,
        scores=_scores(rubric, values),
        adjustments={
            _item(rubric, k, i).pk: (Decimal(p), reason) for k, i, p, reason in adjustments
        },
        comments=conclusion,
        submit=True,
    )
    services.finalise_evaluation(evaluation=evaluation, by=officer, conclusion=conclusion)
    if publish:
        services.publish_evaluation(evaluation=evaluation, by=officer, now=now)
    return evaluation


BRAND_METHOD = (
    "社工统筹、志愿者参与、居民骨干互助：先入户调研建立服务对象名册，再按需开展常态化服务，"
    "每季度开展满意度回访，并据此调整服务内容和时段。"
)
BRAND_METHOD_EN = (
    "Social workers coordinate, volunteers take part and resident leaders help each other. "
    "A door-to-door survey builds the list of people served; regular services follow their "
    "needs; a satisfaction survey every quarter adjusts what is offered and when."
)


def _mark_brand(project, officer) -> None:
    """The project with the 优 final evaluation becomes the demo's brand project."""
    project.refresh_from_db()
    if project.brand_marked_at is None and not brand.brand_refusal(project):
        brand.mark_brand_project(
            project=project, method=BRAND_METHOD, method_en=BRAND_METHOD_EN, by=officer
        )


@transaction.atomic
def seed(ctx: DemoContext) -> None:
    users = ctx.shared.get("users") or {}
    officer, evaluator = users.get("officer"), users.get("evaluator")
    running = list(
        Project.objects.filter(slug__startswith="project-", status__in=services.RUNNING_STATUSES)
        .select_related("organization")
        .order_by("pk")
    )
    if officer is None or evaluator is None or len(running) < 2:
        ctx.log("evaluation: skipped (no demo staff or running projects)")
        return
    # Evaluators never evaluate an organization they belong to.
    running = [p for p in running if not p.organization.memberships.filter(user=evaluator).exists()]
    completed = [p for p in running if p.status == ProjectStatus.COMPLETED]
    in_progress = [p for p in running if p.status == ProjectStatus.IN_PROGRESS]
    now = timezone.now()
    if completed:
        _evaluate(
            project=completed[0],
            kind=EvaluationKind.FINAL,
            values=[24, 19, 33, 18],
            adjustments=[(AdjustmentKind.BONUS, 0, 2, "获区级优秀公益项目表彰")],
            conclusion="项目管理规范，服务成效显著，居民满意度高。",
            officer=officer,
            evaluator=evaluator,
            publish=True,
            now=now - timedelta(days=2),
        )
    if in_progress:
        _evaluate(
            project=in_progress[0],
            kind=EvaluationKind.MIDTERM,
            values=[14, 12, 20, 10],
            adjustments=[(AdjustmentKind.PENALTY, 0, 3, "两次进度报告逾期提交")],
            conclusion="进度滞后，台账不全，需在一个月内提交整改方案。",
            officer=officer,
            evaluator=evaluator,
            publish=True,
            now=now - timedelta(days=1),
        )
    if len(in_progress) > 1:
        _evaluate(
            project=in_progress[1],
            kind=EvaluationKind.MIDTERM,
            values=None,
            adjustments=[],
            conclusion="",
            officer=officer,
            evaluator=evaluator,
            publish=False,
            now=now,
        )
    if completed:
        _mark_brand(completed[0], officer)
    residents = _residents(ctx)
    rated = (completed[:1] + in_progress[:2]) or running[:2]
    for p_index, project in enumerate(rated):
        for r_index, resident in enumerate(residents):
            if ResidentFeedback.objects.filter(project=project, user=resident).exists():
                continue
            rating, comment = COMMENTS[(p_index + r_index) % len(COMMENTS)]
            feedback = services.submit_feedback(
                project=project, user=resident, rating=rating, comment=comment
            )
            if r_index < len(residents) - 1:
                services.moderate_feedback(feedback=feedback, by=officer, publish=True)
    ctx.log(
        f"evaluation: {Evaluation.objects.count()} evaluations "
        f"({Evaluation.objects.filter(status=EvaluationStatus.PUBLISHED).count()} "
        f"published), {ResidentFeedback.objects.count()} residents' ratings "
        f"({ResidentFeedback.objects.filter(status=FeedbackStatus.PENDING).count()} "
        f"awaiting moderation)"
    )
