"""Demo service catalogue, calls and projects (see ``portal.demo``)."""

from contextlib import contextmanager
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from wagtail.models import Locale
from wagtail.rich_text import RichText

from organizations.models import Organization, Region
from portal.core.demo import DemoContext, ensure_child
from portal.core.search import index_bulk

from .demo_applications import seed_applications, seed_needs
from .enums import ProjectStatus, ProjectTier
from .models import (
    Application,
    CallIndexPage,
    CallPage,
    CommunityNeed,
    Project,
    ServiceCategory,
    ServiceItem,
)

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

# Words people search with for each category (ServiceCategory.keywords).
CATEGORY_KEYWORDS = {
    "A": "助老 养老 敬老 老人 长者 老年人 elderly older people seniors",
    "B": "儿童 少年 青少年 孩子 学生 children kids youth young people",
    "C": "残障 残疾 残疾人 无障碍 disability disabled people accessibility",
    "D": "议事 自治 居民参与 participation governance",
    "E": "环保 绿色 垃圾 green recycling",
    "F": "文艺 体育 健身 arts sport fitness",
    "G": "应急 安全 防灾 emergency safety",
    "H": "就业 技能 培训 jobs skills",
}

ITEM_NAMES_EN = {
    "老年助餐": "Meals for the elderly",
    "居家探访": "Home visits to older people",
    "长者健康管理": "Health management for the elderly",
    "认知障碍照护": "Dementia care",
    "四点半课堂": "After-school club",
    "青少年心理支持": "Mental health support for youth",
    "儿童安全教育": "Safety education for children",
    "康复训练": "Rehabilitation training",
    "残障人士就业辅导": "Employment coaching for people with disabilities",
    "无障碍出行": "Accessible transport",
    "居民议事会": "Residents' council",
    "楼栋自治": "Building self-management",
    "社区规划参与": "Participatory community planning",
    "垃圾分类": "Waste sorting",
    "社区花园": "Community garden",
    "节水节能宣传": "Water and energy saving",
    "社区文艺团队": "Community arts groups",
    "全民健身": "Fitness for all",
    "非遗传承": "Intangible cultural heritage",
    "防灾减灾培训": "Disaster preparedness training",
    "社区应急队伍": "Community emergency teams",
    "技能培训": "Skills training",
    "困难群体就业援助": "Employment aid for people in hardship",
}

# (slug, zh title, en title, opens offset days, closes offset days, budget yuan)
# Order matters: other apps use ctx.shared["calls"][1..3]; new calls go at the end.
CALLS = [
    (
        "2027-spring",
        "2027年春季社区公益创投征集（预告）",
        "2027 spring community project call (upcoming)",
        20,
        60,
        3_000_000,
    ),
    (
        "2026-elder-care",
        "2026年为老服务公益创投项目征集",
        "2026 elder care project call",
        -10,
        25,
        5_000_000,
    ),
    (
        "2026-youth",
        "2026年儿童青少年服务项目征集",
        "2026 children and youth project call",
        -50,
        -5,
        2_000_000,
    ),
    (
        "2025-community",
        "2025年社区治理创新项目征集",
        "2025 community governance project call",
        -400,
        -340,
        4_000_000,
    ),
    (
        "2026-disability",
        "2026年助残服务项目征集",
        "2026 disability support project call",
        -90,
        -40,
        1_500_000,
    ),
    (
        "2026-environment",
        "2026年社区环保行动项目征集",
        "2026 community environment project call",
        -30,
        -1,
        1_000_000,
    ),
]
# Decision dates (days from now) that move a call past "closed"; see CallPage.state.
DECISIONS = {
    "2026-youth": {"review_started_at": -3},
    "2025-community": {
        "review_started_at": -330,
        "notice_published_at": -300,
        "appeal_ends_at": -293,
        "completed_at": -280,
    },
    "2026-disability": {"review_started_at": -35, "notice_published_at": -3, "appeal_ends_at": 4},
}
# Eligibility per call: (org types, min rating, district codes, min self-funding bp,
# category codes of the allowed service items, several applications per org).
ELIGIBILITY = {
    "2027-spring": (
        ["social_service", "social_group"],
        "3A",
        ["440305", "440304"],
        1000,
        ["A", "B", "D"],
        False,
    ),
    "2026-elder-care": ([], "", [], 1000, ["A"], False),
    "2026-youth": ([], "", [], 0, ["B"], False),
    "2025-community": ([], "", [], 0, ["D"], True),
    "2026-disability": ([], "", [], 500, ["C"], False),
    "2026-environment": (["community", "social_service"], "", [], 0, ["E"], False),
}

# Indexes (into PROJECT_TITLES) of the projects shortlisted into the reserve library: all
# approved (status cycles in progress / approved / completed), none started.
RESERVE_PROJECTS = {4}

PROJECT_TITLES = [
    "长者饭堂暖心助餐计划",
    "四点半课堂·课后陪伴",
    "认知障碍长者家庭支持",
    "楼栋微自治试点",
    "社区花园共建行动",
    "残障青年就业起航",
    "社区应急志愿队培育",
    "非遗剪纸进社区",
    "独居老人居家探访",
    "青少年心理韧性营",
    "垃圾分类绿色账户",
    "居民议事厅",
]
# English versions the organizations gave (by index); the others show their Chinese
# original on the English site, labelled as such.
PROJECT_ENGLISH = {
    0: (
        "Warm meals at the seniors' canteen",
        "Hot, affordable lunches and home delivery for older residents living alone.",
    ),
    1: ("After-school club at half past four", "Homework help and play after school."),
    2: ("Support for families living with dementia", ""),
    5: ("Jobs for young people with disabilities", "Job coaching and placements."),
    8: ("Home visits to older people living alone", ""),
}


def seed_catalogue() -> list[ServiceItem]:
    items = []
    for order, (code, name, name_en, item_names) in enumerate(CATALOGUE):
        category, _ = ServiceCategory.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "keywords": CATEGORY_KEYWORDS[code],
                "sort_order": order,
            },
        )
        for i, item_name in enumerate(item_names, start=1):
            item, _ = ServiceItem.objects.update_or_create(
                code=f"{code}{i:02d}",
                defaults={
                    "category": category,
                    "name": item_name,
                    "name_en": ITEM_NAMES_EN[item_name],
                },
            )
            items.append(item)
    return items


def _seed_service_areas(ctx: DemoContext, items: list[ServiceItem]) -> None:
    """Two service areas for each demo organization (the catalogue is this app's; the
    organizations were seeded before it)."""
    categories = list(dict.fromkeys(item.category for item in items))
    for i, org in enumerate(ctx.shared.get("all_organizations", [])):
        org.service_areas.set(
            [categories[i % len(categories)], categories[(i * 5 + 2) % len(categories)]]
        )


def seed_calls(ctx: DemoContext) -> list[CallPage]:
    homes = ctx.shared["homes"]
    # Whole days: a second run the same day changes nothing (no new page revisions).
    now = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)
    zh_calls = []
    for code, home in homes.items():
        title = "公益创投征集" if code == "zh-hans" else "Calls for projects"
        index = ensure_child(
            home, CallIndexPage, "calls", title=title, show_in_menus=True, locale=home.locale
        )
        for slug, title_zh, title_en, opens, closes, budget in CALLS:
            call = ensure_child(
                index,
                CallPage,
                slug,
                title=title_zh if code == "zh-hans" else title_en,
                summary=(
                    "面向全市社会组织征集社区服务项目，经资格审查与专家评审后择优资助并给予配捐。"
                    if code == "zh-hans"
                    else "Community service projects from the city's organizations; screened, "
                    "reviewed by experts, the best funded and matched."
                ),
                opens_at=now + timedelta(days=opens),
                closes_at=now + timedelta(days=closes),
                total_budget=budget * 100,
                per_project_cap=200_000 * 100,
                locale=home.locale,
                **_call_details(slug, now, zh=code == "zh-hans"),
            )
            _call_relations(call, slug, zh=code == "zh-hans")
            if code == "zh-hans":
                zh_calls.append(call)
    return zh_calls


FAQ_ANSWER_ZH = "<p>需由已认证的社会组织作为申报主体，社区团队可作为合作方。</p>"
FAQ_ANSWER_EN = "<p>A verified organization must apply; the team can be its partner.</p>"


def _call_details(slug: str, now, *, zh: bool) -> dict:
    types, rating, _districts, self_bp, _cats, multiple = ELIGIBILITY[slug]
    fields = {
        "eligible_org_types": types,
        "min_rating": rating,
        "verified_only": True,
        "min_self_funding_bps": self_bp,
        "allow_multiple_applications": multiple,
        "contact_name": "李老师" if zh else "Ms Li",
        "contact_phone": "0755-8888 0000",
        "contact_email": "calls@example.org",
    }
    for field in ("review_started_at", "notice_published_at", "appeal_ends_at", "completed_at"):
        days = DECISIONS.get(slug, {}).get(field)
        fields[field] = now + timedelta(days=days) if days is not None else None
    return fields


def _call_relations(call: CallPage, slug: str, *, zh: bool) -> None:
    """Service items, districts, timeline and FAQ: set once, republished only on change."""
    _types, _rating, district_codes, _bp, category_codes, _multiple = ELIGIBILITY[slug]
    items = set(
        ServiceItem.objects.filter(category__code__in=category_codes).values_list("pk", flat=True)
    )
    districts = set(Region.objects.filter(code__in=district_codes).values_list("pk", flat=True))
    changed = False
    if set(call.allowed_service_items.values_list("pk", flat=True)) != items:
        call.allowed_service_items.set(items)
        changed = True
    if set(call.eligible_districts.values_list("pk", flat=True)) != districts:
        call.eligible_districts.set(districts)
        changed = True
    if not call.timeline:
        start, end = call.opens_at.date(), call.closes_at.date()
        call.timeline = [
            (
                "entry",
                {
                    "date": start,
                    "label": "开放申报" if zh else "Applications open",
                    "description": "",
                },
            ),
            (
                "entry",
                {
                    "date": end,
                    "label": "申报截止" if zh else "Applications close",
                    "description": "",
                },
            ),
            (
                "entry",
                {
                    "date": end + timedelta(days=5),
                    "label": "资格审查" if zh else "Eligibility screening",
                    "description": "5个工作日内完成" if zh else "Within 5 working days",
                },
            ),
            (
                "entry",
                {
                    "date": end + timedelta(days=25),
                    "label": "专家评审与公示" if zh else "Expert review and public notice",
                    "description": "公示期7天" if zh else "Seven-day appeal window",
                },
            ),
        ]
        call.faq = [
            (
                "faq",
                {
                    "question": "未登记的社区团队可以申报吗？"
                    if zh
                    else "Can an unregistered community team apply?",
                    "answer": RichText(FAQ_ANSWER_ZH if zh else FAQ_ANSWER_EN),
                },
            ),
        ]
        changed = True
    if changed:
        call.save_revision().publish()


@contextmanager
def money_history(projects):
    """Seed the money a completed demo project received and paid out *while it was
    running*: funding refuses gifts, match and tranches for a closed project
    (``Project.accepts_money``, read from the database by the services), so its row says
    "in progress" inside the block and "completed" again after it (a queryset update: no
    signals, no delivery started). The objects passed in keep "completed", so the demo
    code can still tell what it is seeding."""
    ids = [p.pk for p in projects if p.status == ProjectStatus.COMPLETED]
    Project.objects.filter(pk__in=ids).update(status=ProjectStatus.IN_PROGRESS)
    try:
        yield
    finally:
        Project.objects.filter(pk__in=ids).update(status=ProjectStatus.COMPLETED)


@transaction.atomic
def seed(ctx: DemoContext) -> None:
    items = seed_catalogue()
    _seed_service_areas(ctx, items)
    calls = seed_calls(ctx)
    ctx.shared["calls"] = calls
    ctx.shared["service_items"] = items
    orgs = list(Organization.objects.verified().order_by("pk")[:6])
    statuses = [ProjectStatus.IN_PROGRESS, ProjectStatus.APPROVED, ProjectStatus.COMPLETED]
    projects = []
    for i, title in enumerate(PROJECT_TITLES):
        org = orgs[i % len(orgs)]
        status = statuses[i % len(statuses)]
        project, _ = Project.objects.update_or_create(
            slug=f"project-{i + 1}",
            defaults={
                "title": title,
                "title_en": PROJECT_ENGLISH.get(i, ("", ""))[0],
                "summary_en": PROJECT_ENGLISH.get(i, ("", ""))[1],
                "organization": org,
                "call": calls[1 + i % 3],
                "summary": f"{org.name}实施的{title}，回应居民提出的社区需求。",
                "status": status,
                # Only a project that is approved but not yet funded can sit in the reserve
                # library: one in progress or completed has been funded (and delivered).
                "tier": (
                    ProjectTier.RESERVE if i in RESERVE_PROJECTS else ProjectTier.FUNDED_MATCHED
                ),
                "region": org.region,
                "goal_amount": (50_000 + 10_000 * (i % 7)) * 100,
            },
        )
        project.service_items.set([items[i % len(items)]])
        projects.append(project)
    ctx.shared["projects"] = projects
    needs = seed_needs(ctx, items, projects, calls)
    ctx.shared["needs"] = needs
    seed_applications(ctx, calls, items, needs)
    if ctx.large:
        _seed_large_projects(ctx, calls)
    ctx.log(
        f"projects: {ServiceItem.objects.count()} service items, "
        f"{CallPage.objects.filter(locale=Locale.get_default()).count()} calls, "
        f"{Project.objects.count()} projects, {CommunityNeed.objects.count()} needs, "
        f"{Application.objects.count()} applications"
    )


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
        batch.append(
            Project(
                slug=slug,
                title=f"{PROJECT_TITLES[n % len(PROJECT_TITLES)]}（第{n + 1}期）",
                organization_id=org.pk,
                call_id=calls[1 + n % 3].pk,
                summary="社区公益服务项目。",
                status=statuses[n % 3],
                tier=ProjectTier.FUNDED_MATCHED if n % 3 else ProjectTier.RESERVE,
                region_id=org.region_id,
                goal_amount=(30_000 + ctx.rng.randrange(0, 200_000)) * 100,
            )
        )
    Project.objects.bulk_create(batch, batch_size=1000)
    # bulk_create sends no save signal: index the new rows for search in one go.
    index_bulk(Project.get_indexed_objects().filter(slug__in=[p.slug for p in batch]))
