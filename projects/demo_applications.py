"""Demo community needs and applications in every status (see ``projects.demo``)."""

from datetime import timedelta

from django.utils import timezone

from organizations.enums import MemberRole
from organizations.models import Membership, Organization

from .enums import ApplicationStatus, ApplicationStep, NeedStatus
from .models import (
    Application,
    ApplicationEvent,
    ApplicationRevision,
    CallPage,
    CommunityNeed,
    NeedSupport,
    Project,
    ServiceItem,
)
from .services import budget_totals, snapshot

# (title, description, item index, people affected, status)
NEEDS = [
    (
        "独居老人午餐没有着落",
        "小区里六十多位独居老人，附近没有长者饭堂，很多人午饭只吃面条。",
        0,
        65,
        NeedStatus.PUBLISHED,
    ),
    (
        "放学后孩子无人看护",
        "双职工家庭多，下午四点半放学后孩子在小区里游荡，希望有课后托管。",
        4,
        120,
        NeedStatus.PUBLISHED,
    ),
    (
        "老旧小区缺少无障碍坡道",
        "三栋楼入口都是台阶，坐轮椅的居民和推婴儿车的家长进出很困难。",
        9,
        40,
        NeedStatus.PUBLISHED,
    ),
    (
        "垃圾分类投放点太远",
        "分类投放点只有一个，住在北区的居民要走十分钟。",
        13,
        800,
        NeedStatus.PUBLISHED,
    ),
    (
        "希望有居民议事的地方",
        "小区停车、加装电梯等问题争议大，缺少大家坐下来商量的平台。",
        10,
        300,
        NeedStatus.PUBLISHED,
    ),
    ("长者饭堂太少", "和第一条类似：老人吃饭难，希望多开几家长者饭堂。", 0, 30, NeedStatus.MERGED),
    ("广场舞噪音扰民", "晚上广场舞音响太大，影响休息。", 17, 200, NeedStatus.DECLINED),
    (
        "社区缺少应急演练",
        "小区从没有组织过消防和地震演练，老人和孩子不知道怎么避险。",
        20,
        500,
        NeedStatus.PENDING,
    ),
]


def seed_needs(
    ctx, items: list[ServiceItem], projects: list[Project], calls: list[CallPage]
) -> list[CommunityNeed]:
    users = ctx.shared["users"]
    subdistricts = ctx.shared["subdistricts"]
    residents = [users["donor"], users["orgmember"], users["mentor"]]
    needs = []
    for i, (title, description, item_index, people, status) in enumerate(NEEDS):
        need, _ = CommunityNeed.objects.update_or_create(
            title=title,
            defaults={
                "description": description,
                "region": subdistricts[i % len(subdistricts)],
                "service_item": items[item_index % len(items)],
                "people_affected": people,
                "status": status,
                "author": residents[i % len(residents)],
                "published_at": timezone.now() if status != NeedStatus.PENDING else None,
                "decline_reason": "属于城管执法事项，已转交相关部门。"
                if status == NeedStatus.DECLINED
                else "",
                "merged_into": needs[0] if status == NeedStatus.MERGED else None,
            },
        )
        needs.append(need)
    for i, need in enumerate(needs[:5]):
        for resident in residents[: 3 - i % 3]:
            NeedSupport.objects.get_or_create(need=need, user=resident)
    projects[0].addressed_needs.add(needs[0])
    projects[1].addressed_needs.add(needs[1])
    projects[4].addressed_needs.add(needs[3])
    open_call = calls[1]
    if not open_call.target_needs.filter(pk=needs[0].pk).exists():
        open_call.target_needs.add(needs[0])
        open_call.save_revision().publish()
    return needs


def _answers(
    org: Organization, item: ServiceItem, title: str, requested_yuan: int, need_ids: list[int]
) -> dict:
    return {
        ApplicationStep.BASIC: {
            "title": title,
            "summary": f"{org.name}在{org.region.name}开展的{title}。",
            "region": org.region_id,
            "service_items": [item.pk],
            "start_date": "2027-01-01",
            "end_date": "2027-12-31",
        },
        ApplicationStep.NEEDS: {
            "analysis": "根据社区走访和居民需求栏的反馈，服务对象集中、需求迫切，"
            "现有服务无法覆盖。",
            "cited_needs": need_ids,
        },
        ApplicationStep.OBJECTIVES: {
            "goal": "改善服务对象的生活质量，培育居民互助。",
            "objectives": "每月开展服务不少于20次\n培育志愿者30名",
        },
        ApplicationStep.BENEFICIARIES: {
            "description": "社区独居、空巢老人及其家庭",
            "direct_count": 120,
            "indirect_count": 400,
        },
        ApplicationStep.ACTIVITIES: {
            "lines": [
                {
                    "name": "需求调研与服务对象建档",
                    "start": "2027-01-01",
                    "end": "2027-02-28",
                    "description": "",
                },
                {
                    "name": "常态化服务",
                    "start": "2027-03-01",
                    "end": "2027-11-30",
                    "description": "",
                },
                {
                    "name": "总结与成果展示",
                    "start": "2027-12-01",
                    "end": "2027-12-31",
                    "description": "",
                },
            ]
        },
        ApplicationStep.BUDGET: {
            "lines": [
                {
                    "category": "personnel",
                    "item": "项目社工",
                    "unit": "月",
                    "quantity": 12,
                    "unit_price": requested_yuan * 100 // 24,
                    "source": "requested",
                },
                {
                    "category": "activities",
                    "item": "活动物资",
                    "unit": "批",
                    "quantity": 2,
                    "unit_price": requested_yuan * 100 // 4,
                    "source": "requested",
                },
                {
                    "category": "venue",
                    "item": "场地（自有）",
                    "unit": "月",
                    "quantity": 12,
                    "unit_price": requested_yuan * 100 // 60,
                    "source": "self",
                },
            ]
        },
        ApplicationStep.INDICATORS: {
            "lines": [
                {"kind": "output", "name": "服务人次", "target": "2400", "method": "服务台账"},
                {"kind": "outcome", "name": "服务对象满意度", "target": "90%", "method": "问卷"},
            ]
        },
        ApplicationStep.TEAM: {
            "lines": [
                {
                    "name": "张敏",
                    "role": "项目负责人",
                    "experience": "中级社工师，八年社区服务经验",
                },
                {"name": "李华", "role": "财务", "experience": "会计从业五年"},
            ]
        },
        ApplicationStep.RISKS: {
            "lines": [
                {"risk": "服务对象参与不足", "mitigation": "联合居委会入户动员"},
            ]
        },
        ApplicationStep.ATTACHMENTS: {"confirmed": True},
    }


# (call index in ctx.shared["calls"], organization index, status, title, requested yuan;
# multiples of 120 so the demo budget lines come out in whole yuan)
APPLICATIONS = [
    (1, 0, ApplicationStatus.DRAFT, "长者饭堂暖心助餐计划（2026）", 150_000),
    (1, 1, ApplicationStatus.SUBMITTED, "独居老人居家探访", 120_000),
    (1, 2, ApplicationStatus.RETURNED, "认知障碍长者家庭支持", 180_000),
    (1, 3, ApplicationStatus.RESUBMITTED, "社区长者健康管理", 90_000),
    (1, 4, ApplicationStatus.WITHDRAWN, "长者数字生活课堂", 60_000),
    (2, 0, ApplicationStatus.ELIGIBLE, "四点半课堂·课后陪伴（二期）", 168_000),
    (2, 1, ApplicationStatus.INELIGIBLE, "青少年心理韧性营", 192_000),
    (2, 2, ApplicationStatus.ELIGIBLE, "儿童安全教育进社区", 84_000),
    (2, 5, ApplicationStatus.SUBMITTED, "青少年篮球夜校", 72_000),
]
# The path of statuses each demo application went through.
PATHS = {
    ApplicationStatus.DRAFT: [],
    ApplicationStatus.SUBMITTED: [ApplicationStatus.SUBMITTED],
    ApplicationStatus.RETURNED: [ApplicationStatus.SUBMITTED, ApplicationStatus.RETURNED],
    ApplicationStatus.RESUBMITTED: [
        ApplicationStatus.SUBMITTED,
        ApplicationStatus.RETURNED,
        ApplicationStatus.RESUBMITTED,
    ],
    ApplicationStatus.WITHDRAWN: [ApplicationStatus.SUBMITTED, ApplicationStatus.WITHDRAWN],
    ApplicationStatus.ELIGIBLE: [ApplicationStatus.SUBMITTED, ApplicationStatus.ELIGIBLE],
    ApplicationStatus.INELIGIBLE: [ApplicationStatus.SUBMITTED, ApplicationStatus.INELIGIBLE],
}
MESSAGES = {
    ApplicationStatus.RETURNED: "请补充场地使用协议，并说明人员费的测算依据。",
    ApplicationStatus.INELIGIBLE: "申报主体成立不满一年，不符合本次征集的申报条件。",
}


def seed_applications(
    ctx, calls: list[CallPage], items: list[ServiceItem], needs: list[CommunityNeed]
) -> None:
    """Applications in every status, written directly (the calls' dates have passed, so
    the services would rightly refuse most of these moves today)."""
    orgs = list(Organization.objects.verified().order_by("pk")[:6])
    officer = ctx.shared["users"]["officer"]
    for call_index, org_index, status, title, requested in APPLICATIONS:
        call, org = calls[call_index], orgs[org_index % len(orgs)]
        if Application.objects.filter(call=call, organization=org).exists():
            continue
        owner = (
            Membership.objects.filter(organization=org, role=MemberRole.OWNER)
            .select_related("user")
            .first()
        )
        by = owner.user if owner else None
        item = call.allowed_service_items.first() or items[0]
        answers = _answers(org, item, title, requested, [needs[0].pk] if call_index == 1 else [])
        application = Application(
            call=call,
            organization=org,
            created_by=by,
            title=title,
            status=ApplicationStatus.DRAFT,
            currency=call.currency,
            single_per_org=not call.allow_multiple_applications,
        )
        if status == ApplicationStatus.DRAFT:
            # Three steps done, the fourth half-typed: a draft over several visits.
            application.answers = {k: answers[k] for k in list(answers)[:3]}
            application.drafts = {
                ApplicationStep.BENEFICIARIES: {
                    "description": ["社区独居老人"],
                    "direct_count": [""],
                }
            }
        else:
            application.answers = answers
        totals = budget_totals(application.answers.get(ApplicationStep.BUDGET, {}).get("lines", []))
        application.requested_amount = totals["requested"]
        application.self_funding_amount = totals["self"]
        application.total_amount = totals["total"]
        application.save()
        if call_index == 1:
            application.cited_needs.set([needs[0]])
        ApplicationEvent.objects.create(application=application, to_status="draft", actor=by)
        previous = ApplicationStatus.DRAFT
        submitted_at = call.opens_at + timedelta(days=2)
        for step in PATHS[status]:
            actor = (
                by
                if step
                in (
                    ApplicationStatus.SUBMITTED,
                    ApplicationStatus.RESUBMITTED,
                    ApplicationStatus.WITHDRAWN,
                )
                else officer
            )
            message = MESSAGES.get(step, "")
            deadline = (
                timezone.now() + timedelta(days=5) if step == ApplicationStatus.RETURNED else None
            )
            if step in (ApplicationStatus.SUBMITTED, ApplicationStatus.RESUBMITTED):
                if step == ApplicationStatus.RESUBMITTED:
                    basic = dict(application.answers[ApplicationStep.BASIC])
                    basic["summary"] += "（已按要求补充场地协议）"
                    application.answers = {**application.answers, ApplicationStep.BASIC: basic}
                ApplicationRevision.objects.create(
                    application=application,
                    number=application.revisions.count() + 1,
                    snapshot=snapshot(application),
                    created_by=by,
                )
                application.submitted_at = application.submitted_at or submitted_at
                application.last_submitted_at = submitted_at
            ApplicationEvent.objects.create(
                application=application,
                from_status=previous,
                to_status=step,
                actor=actor,
                message=message,
                deadline=deadline,
            )
            if step == ApplicationStatus.RETURNED:
                application.return_message, application.return_deadline = message, deadline
            if step == ApplicationStatus.INELIGIBLE:
                application.screening_reason = message
            previous = step
        application.status = status
        application.save()
