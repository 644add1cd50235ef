"""Demo funded projects at every stage (see ``portal.demo``).

Every funded demo project (not in the reserve library) that is approved, in progress or
completed gets a delivery record; those past the agreement get milestones, reports (one
returned, one awaiting a decision, accepted ones with photos), one approved disbursement
tranche per completed milestone and expenditures with receipts paid from it, so that
spent ≤ disbursed ≤ raised + matched for every project. ``--size large`` adds nothing here: the
bulk projects stay without delivery records so seeding stays fast.

Idempotent: a delivery that already has milestones is left alone.
"""

import io
from datetime import timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import models, transaction
from django.utils import timezone

from organizations.enums import MemberRole
from organizations.models import Membership
from portal.core.demo import DemoContext
from projects.demo import money_history
from projects.enums import ProjectStatus, ProjectTier

from .enums import DeliveryStage, MilestoneStatus, ReportKind, ReportStatus
from .models import (
    Delivery,
    DeliveryEvent,
    IndicatorActual,
    Milestone,
    ProgressReport,
    ReportPhoto,
)
from .services import copy_plan_from_application

# Share of the fundraising goal per budget line (the demo projects have no application).
BUDGET = [("项目社工", "personnel", 50), ("活动物资", "materials", 30), ("场地租赁", "venue", 20)]
INDICATORS = [
    {"kind": "output", "name": "服务人次", "target": "2400"},
    {"kind": "outcome", "name": "服务对象满意度（%）", "target": "90"},
]
MILESTONES = [
    ("项目启动与需求调研", "入户调研报告一份；服务对象名册", -150),
    ("常态化服务开展", "每周服务记录；活动照片", -60),
    ("中期总结与成果展示", "中期总结报告；成果展示活动一场", 30),
]
# Stage per demo project index (projects.demo.PROJECT_TITLES); completed ones close.
SCENARIOS = {0: "in_progress", 3: "midterm", 6: "final_returned", 9: "in_progress_submitted"}
PATH = [
    DeliveryStage.AGREEMENT_PENDING,
    DeliveryStage.IN_PROGRESS,
    DeliveryStage.MIDTERM,
    DeliveryStage.FINAL,
    DeliveryStage.CLOSED,
]
AGREEMENT_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages"
    b"/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
COLOURS = [(46, 125, 50), (25, 118, 210), (239, 108, 0), (123, 31, 162)]


def _jpeg(index: int) -> tuple[ContentFile, int, int]:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 420), COLOURS[index % len(COLOURS)])
    draw = ImageDraw.Draw(image)
    for k in range(5):
        draw.ellipse((60 + k * 110, 150, 140 + k * 110, 230), fill=(255, 255, 255))
        draw.rectangle((75 + k * 110, 240, 125 + k * 110, 360), fill=(250, 250, 250))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return ContentFile(out.getvalue(), name="photo.jpg"), 640, 420


def _owner(project):
    membership = (
        Membership.objects.filter(organization=project.organization_id, role=MemberRole.OWNER)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return membership.user if membership else None


def seed(ctx: DemoContext) -> None:
    projects = ctx.shared.get("projects", [])
    officer = ctx.shared["users"]["officer"]
    today = timezone.localdate()
    seeded = 0
    for index, project in enumerate(projects):
        if project.status not in (
            ProjectStatus.APPROVED,
            ProjectStatus.IN_PROGRESS,
            ProjectStatus.COMPLETED,
        ):
            continue
        if project.tier in (ProjectTier.RESERVE, ProjectTier.NOT_FUNDED):
            continue  # the reserve library is not funded: nothing to deliver yet
        # A completed project was paid its tranches while it ran.
        with transaction.atomic(), money_history([project]):
            if _seed_project(ctx, index, project, officer, today):
                seeded += 1
    with money_history(projects):
        _cover_earlier_spending(ctx, projects)
    with transaction.atomic():
        _drop_unfunded_deliveries(ctx, projects)
    # Projects approved through the review demo: copy their applications' budgets.
    for delivery in Delivery.objects.filter(project__review_decision__isnull=False).select_related(
        "project"
    ):
        copy_plan_from_application(delivery=delivery)
    ctx.log(
        f"delivery: {Delivery.objects.count()} funded projects "
        f"({seeded} filled now), {ProgressReport.objects.count()} progress reports"
    )


def _cover_earlier_spending(ctx, projects) -> None:
    """A database seeded before tranches were part of the demo has spending but nothing
    disbursed: pay the difference as one approved tranche, as far as the fund holds it."""
    from funding.errors import DisbursementBlocked
    from funding.models import ProjectBalance
    from funding.services.ledger import balance, project_account
    from funding.services.spending import approve_disbursement, record_disbursement

    users = ctx.shared["users"]
    short = ProjectBalance.objects.filter(
        project__in=[p.pk for p in projects], spent__gt=models.F("disbursed")
    )
    for row in short.select_related("project"):
        project = row.project
        amount = min(row.spent - row.disbursed, balance(project_account(project, project.currency)))
        if amount <= 0:
            continue
        try:
            with transaction.atomic():
                disbursement = record_disbursement(
                    project=project,
                    amount=amount,
                    recorded_by=users["finance"],
                    reference=f"DEMO-{project.slug}-catch-up",
                )
                approve_disbursement(disbursement=disbursement, approved_by=users["finance2"])
        except DisbursementBlocked:
            # A failed mid-term holds the tranche: reseed from an empty database.
            ctx.log(f"delivery: {project.slug} spent more than disbursed; tranche held")


def _drop_unfunded_deliveries(ctx, projects) -> None:
    """A database seeded before the reserve library was kept out of delivery has an
    untouched delivery (agreement pending, no report) on a reserve project: remove it."""
    from projects.enums import ProjectTier

    unfunded = [p.pk for p in projects if p.tier in (ProjectTier.RESERVE, ProjectTier.NOT_FUNDED)]
    stale = Delivery.objects.filter(
        project__in=unfunded,
        stage=DeliveryStage.AGREEMENT_PENDING,
        reports__isnull=True,
        agreement="",
    )
    for delivery in stale:
        delivery.delete()


def _disburse(ctx, project, milestone, share_percent: int, tranches_left: int) -> int:
    """Pay one tranche (recorded by finance, approved by finance2): ``share_percent`` of
    what the project fund holds now, spread over the tranches still to come. Returns the
    amount paid (0 when the fund is empty)."""
    from funding.services.ledger import balance, project_account
    from funding.services.spending import approve_disbursement, record_disbursement

    users = ctx.shared["users"]
    available = balance(project_account(project, project.currency))
    amount = available * share_percent // 100 // max(1, tranches_left)
    if amount <= 0:
        return 0
    disbursement = record_disbursement(
        project=project,
        amount=amount,
        recorded_by=users["finance"],
        milestone=milestone.title,
        reference=f"DEMO-{project.slug}-{milestone.pk}",
    )
    approve_disbursement(disbursement=disbursement, approved_by=users["finance2"])
    return amount


def _seed_project(ctx, index, project, officer, today) -> bool:
    from funding.services.spending import record_expenditure

    delivery = Delivery.objects.filter(project=project).first()
    if delivery is None:
        delivery = Delivery.objects.create(project=project)
        DeliveryEvent.objects.create(
            delivery=delivery, to_stage=delivery.stage, note="项目立项，进入执行。"
        )
    if delivery.milestones.exists():
        return False
    goal = project.goal_amount or 50_000_00
    delivery.budget_lines = [
        {"line": line, "category": category, "source": "requested", "amount": goal * share // 100}
        for line, category, share in BUDGET
    ]
    delivery.indicators = INDICATORS
    if project.status == ProjectStatus.COMPLETED:
        scenario = "closed"
    elif project.status == ProjectStatus.APPROVED:
        scenario = "pending"
    else:
        scenario = SCENARIOS.get(index % 12, "in_progress")
    target = {
        "pending": DeliveryStage.AGREEMENT_PENDING,
        "closed": DeliveryStage.CLOSED,
        "midterm": DeliveryStage.MIDTERM,
        "final_returned": DeliveryStage.FINAL,
    }.get(scenario, DeliveryStage.IN_PROGRESS)
    start = today - timedelta(days=200)
    if target != DeliveryStage.AGREEMENT_PENDING:
        delivery.agreement.save("agreement.pdf", ContentFile(AGREEMENT_PDF), save=False)
        delivery.agreement_name = "项目资助协议.pdf"
        delivery.agreement_content_type = "application/pdf"
        delivery.agreement_signed_on = start
    # The history: one event per step from where the record stands to the target.
    steps = (
        PATH[PATH.index(delivery.stage) + 1 : PATH.index(target) + 1]
        if delivery.stage in PATH and target in PATH
        else []
    )
    for step_no, stage in enumerate(steps):
        DeliveryEvent.objects.create(
            delivery=delivery,
            from_stage=delivery.stage,
            to_stage=stage,
            actor=officer,
            note="演示数据" if step_no else "协议已签署，项目启动。",
        )
        delivery.stage = stage
    delivery.save()
    DeliveryEvent.objects.filter(delivery=delivery).update(created_at=timezone.now())
    owner = _owner(project)
    milestones = []
    for m_index, (title, deliverables, offset) in enumerate(MILESTONES):
        if scenario == "pending":
            status = MilestoneStatus.PROPOSED if m_index == 0 else None
        elif scenario == "closed" or offset < 0:
            status = MilestoneStatus.COMPLETED
        else:
            status = MilestoneStatus.PLANNED
        if scenario == "midterm" and m_index == 1:
            status = MilestoneStatus.PLANNED  # overdue: the reminder command finds it
        if status is None:
            continue
        due = today + timedelta(days=offset if scenario != "closed" else offset - 200)
        milestones.append(
            Milestone.objects.create(
                delivery=delivery,
                title=title,
                due_on=due,
                deliverables=deliverables,
                status=status,
                created_by=owner,
                completed_on=due if status == MilestoneStatus.COMPLETED else None,
            )
        )
    if scenario == "pending" or owner is None:
        return True
    # Reports: one accepted per completed milestone, with a photo and expenditures paid
    # from that milestone's tranche (so spent ≤ disbursed ≤ raised + matched).
    completed = [m for m in milestones if m.status == MilestoneStatus.COMPLETED]
    # A closed project has been paid all its fund and spent 95% of each tranche; a running
    # one 60% of it so far, 80% of each tranche spent.
    pay_share, spend_share = (100, 95) if scenario == "closed" else (60, 80)
    for r_index, milestone in enumerate(completed):
        last = r_index == len(completed) - 1
        kind = ReportKind.FINAL if scenario == "closed" and last else ReportKind.INTERIM
        report = ProgressReport.objects.create(
            delivery=delivery,
            kind=kind,
            milestone=milestone,
            period_end=milestone.due_on,
            narrative=f"本阶段完成“{milestone.title}”：{milestone.deliverables}。居民参与积极，"
            "服务记录完整。",
            beneficiaries_reached=300 + 150 * r_index,
            status=ReportStatus.ACCEPTED,
            submitted_by=owner,
            submitted_at=timezone.now(),
            decided_by=officer,
            decided_at=timezone.now(),
        )
        IndicatorActual.objects.bulk_create(
            [
                IndicatorActual(
                    report=report,
                    name=INDICATORS[0]["name"],
                    target=INDICATORS[0]["target"],
                    actual=Decimal(600 + 500 * r_index),
                ),
                IndicatorActual(
                    report=report,
                    name=INDICATORS[1]["name"],
                    target=INDICATORS[1]["target"],
                    actual=Decimal(92),
                ),
            ]
        )
        content, width, height = _jpeg(index + r_index)
        photo = ReportPhoto(
            report=report, caption=f"{milestone.title}活动现场", width=width, height=height
        )
        photo.image.save(content.name, content, save=False)
        photo.save()
        paid = _disburse(ctx, project, milestone, pay_share, len(completed) - r_index)
        for line, (_name, _category, line_share) in zip(delivery.budget_lines, BUDGET, strict=True):
            amount = paid * spend_share // 100 * line_share // 100
            if amount <= 0:
                continue
            expenditure = record_expenditure(
                project=project,
                budget_line=line["line"],
                amount=amount,
                spent_on=milestone.due_on,
                recorded_by=owner,
                description=f"{milestone.title}：{line['line']}",
                receipt=ContentFile(AGREEMENT_PDF, name="receipt.pdf"),
            )
            report.expenditures.add(expenditure)
    if scenario == "final_returned":
        ProgressReport.objects.create(
            delivery=delivery,
            kind=ReportKind.INTERIM,
            period_end=today - timedelta(days=5),
            narrative="本季度开展常态化服务 24 次。",
            beneficiaries_reached=420,
            status=ReportStatus.RETURNED,
            return_message="请补充服务对象满意度问卷的统计结果。",
            submitted_by=owner,
            submitted_at=timezone.now(),
            decided_by=officer,
            decided_at=timezone.now(),
        )
    if scenario == "in_progress_submitted":
        ProgressReport.objects.create(
            delivery=delivery,
            kind=ReportKind.INTERIM,
            period_end=today - timedelta(days=3),
            narrative="本季度完成入户探访 180 户，开展小组活动 6 次。",
            beneficiaries_reached=260,
            status=ReportStatus.SUBMITTED,
            submitted_by=owner,
            submitted_at=timezone.now(),
        )
    return True
