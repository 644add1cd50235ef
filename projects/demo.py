"""Demo service catalogue, calls and projects (see ``portal.demo``)."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from wagtail.models import Locale

from organizations.models import Organization
from portal.demo import DemoContext, _ensure_child

from .enums import ProjectStatus, ProjectTier
from .models import CallIndexPage, CallPage, Project, ServiceCategory, ServiceItem

CATALOGUE = [
    ("A", "为老服务", "Elder care", ["老年助餐", "居家探访", "长者健康管理", "认知障碍照护"]),
    ("B", "儿童青少年", "Children and youth", ["四点半课堂", "青少年心理支持", "儿童安全教育"]),
    ("C", "助残", "Disability support", ["康复训练", "残障人士就业辅导", "无障碍出行"]),
    ("D", "社区治理", "Community governance", ["居民议事会", "楼栋自治", "社区规划参与"]),
    ("E", "环境保护", "Environment", ["垃圾分类", "社区花园", "节水节能宣传"]),
    ("F", "文化体育", "Culture and sport", ["社区文艺团队", "全民健身", "非遗传承"]),
    ("G", "应急与安全", "Emergency and safety", ["防灾减灾培训", "社区应急队伍"]),
    ("H", "就业帮扶", "Employment support", ["技能培训", "困难群体就业援助"]),
]

# (slug, zh title, en title, opens offset days, closes offset days, budget yuan)
CALLS = [
    ("2027-spring", "2027年春季社区公益创投征集（预告）",
     "2027 spring community project call (upcoming)", 20, 60, 3_000_000),
    ("2026-elder-care", "2026年为老服务公益创投项目征集", "2026 elder care project call",
     -10, 25, 5_000_000),
    ("2026-youth", "2026年儿童青少年服务项目征集", "2026 children and youth project call",
     -50, -5, 2_000_000),
    ("2025-community", "2025年社区治理创新项目征集", "2025 community governance project call",
     -400, -340, 4_000_000),
]

PROJECT_TITLES = [
    "长者饭堂暖心助餐计划", "四点半课堂·课后陪伴", "认知障碍长者家庭支持", "楼栋微自治试点",
    "社区花园共建行动", "残障青年就业起航", "社区应急志愿队培育", "非遗剪纸进社区",
    "独居老人居家探访", "青少年心理韧性营", "垃圾分类绿色账户", "居民议事厅",
]


def seed_catalogue() -> list[ServiceItem]:
    items = []
    for order, (code, name, name_en, item_names) in enumerate(CATALOGUE):
        category, _ = ServiceCategory.objects.update_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "sort_order": order}
        )
        for i, item_name in enumerate(item_names, start=1):
            item, _ = ServiceItem.objects.update_or_create(
                code=f"{code}{i:02d}", defaults={"category": category, "name": item_name}
            )
            items.append(item)
    return items


def seed_calls(ctx: DemoContext) -> list[CallPage]:
    homes = ctx.shared["homes"]
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    zh_calls = []
    for code, home in homes.items():
        title = "公益创投征集" if code == "zh-hans" else "Calls for projects"
        index = _ensure_child(home, CallIndexPage, "calls", title=title, show_in_menus=True,
                              locale=home.locale)
        for slug, title_zh, title_en, opens, closes, budget in CALLS:
            call = _ensure_child(
                index, CallPage, slug,
                title=title_zh if code == "zh-hans" else title_en,
                summary=("面向全市社会组织征集社区服务项目，经资格审查与专家评审后择优资助并给予配捐。"
                         if code == "zh-hans" else
                         "Community service projects from the city's organizations; screened, "
                         "reviewed by experts, the best funded and matched."),
                opens_at=now + timedelta(days=opens),
                closes_at=now + timedelta(days=closes),
                total_budget=budget * 100,
                per_project_cap=200_000 * 100,
                locale=home.locale,
            )
            if code == "zh-hans":
                zh_calls.append(call)
    return zh_calls


@transaction.atomic
def seed(ctx: DemoContext) -> None:
    items = seed_catalogue()
    calls = seed_calls(ctx)
    ctx.shared["calls"] = calls
    ctx.shared["service_items"] = items
    orgs = list(Organization.objects.verified().order_by("pk")[:6])
    statuses = [ProjectStatus.IN_PROGRESS, ProjectStatus.APPROVED, ProjectStatus.COMPLETED]
    projects = []
    for i, title in enumerate(PROJECT_TITLES):
        org = orgs[i % len(orgs)]
        project, _ = Project.objects.update_or_create(
            slug=f"project-{i + 1}",
            defaults={
                "title": title,
                "organization": org,
                "call": calls[1 + i % 3],
                "summary": f"{org.name}实施的{title}，回应居民提出的社区需求。",
                "status": statuses[i % len(statuses)],
                "tier": ProjectTier.FUNDED_MATCHED if i % 4 else ProjectTier.RESERVE,
                "region": org.region,
                "goal_amount": (50_000 + 10_000 * (i % 7)) * 100,
            },
        )
        project.service_items.set([items[i % len(items)]])
        projects.append(project)
    ctx.shared["projects"] = projects
    if ctx.large:
        _seed_large_projects(ctx, calls)
    ctx.log(f"projects: {ServiceItem.objects.count()} service items, "
            f"{CallPage.objects.filter(locale=Locale.get_default()).count()} calls, "
            f"{Project.objects.count()} projects")


def _seed_large_projects(ctx: DemoContext, calls: list[CallPage]) -> None:
    """10,000+ projects for benchmarks, created in bulk."""
    target = 10_000
    existing = set(
        Project.objects.filter(slug__startswith="bulk-project-").values_list("slug", flat=True)
    )
    orgs = list(Organization.objects.filter(slug__startswith="bulk-org-").only("pk", "region_id"))
    statuses = [ProjectStatus.APPROVED, ProjectStatus.IN_PROGRESS, ProjectStatus.COMPLETED]
    batch = []
    for n in range(target):
        slug = f"bulk-project-{n}"
        if slug in existing:
            continue
        org = orgs[n % len(orgs)]
        batch.append(Project(
            slug=slug,
            title=f"{PROJECT_TITLES[n % len(PROJECT_TITLES)]}（第{n + 1}期）",
            organization_id=org.pk,
            call_id=calls[1 + n % 3].pk,
            summary="社区公益服务项目。",
            status=statuses[n % 3],
            tier=ProjectTier.FUNDED_MATCHED if n % 3 else ProjectTier.RESERVE,
            region_id=org.region_id,
            goal_amount=(30_000 + ctx.rng.randrange(0, 200_000)) * 100,
        ))
    Project.objects.bulk_create(batch, batch_size=1000)
