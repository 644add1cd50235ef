"""Demo regions, people, roles and organizations (see ``portal.demo``)."""

import datetime
from decimal import Decimal

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from portal.core.demo import DEMO_PASSWORD, DemoContext
from portal.core.search import index_bulk

from . import roles
from .enums import (
    DocumentKind,
    MemberRole,
    OrganizationType,
    RegionLevel,
    RegistrationKind,
    ResidencyStatus,
    VerificationAction,
    VerificationStatus,
)
from .models import (
    AssessmentDimension,
    AssessmentScore,
    CapacityAssessment,
    Cohort,
    IncubationStage,
    Invitation,
    Membership,
    Organization,
    OrganizationDocument,
    Region,
    Residency,
    ServiceLog,
    StageChange,
    TrainingAttendance,
    TrainingSession,
    VerificationEvent,
)

# Demo staff share one TOTP secret so the admin (two-factor required) can be tried out:
# add it to any authenticator app, or run `oathtool --totp -b <secret>`.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXP"  # noqa: S105 - demo only, printed on purpose
DEMO_PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< >>\n%%EOF\n"

# Shenzhen: districts and a selection of their sub-districts (街道), with real names.
# English names: districts "<pinyin> District", sub-districts "<pinyin> Subdistrict"
# (the city's own spelling on its road signs), numbered communities "Community No. n",
# named ones "<pinyin> Community".
SHENZHEN = {
    ("440303", "罗湖区", "Luohu District"): [
        ("桂园街道", "Guiyuan"),
        ("黄贝街道", "Huangbei"),
        ("东门街道", "Dongmen"),
        ("翠竹街道", "Cuizhu"),
        ("笋岗街道", "Sungang"),
    ],
    ("440304", "福田区", "Futian District"): [
        ("园岭街道", "Yuanling"),
        ("南园街道", "Nanyuan"),
        ("福田街道", "Futian"),
        ("沙头街道", "Shatou"),
        ("莲花街道", "Lianhua"),
    ],
    ("440305", "南山区", "Nanshan District"): [
        ("南头街道", "Nantou"),
        ("南山街道", "Nanshan"),
        ("沙河街道", "Shahe"),
        ("蛇口街道", "Shekou"),
        ("粤海街道", "Yuehai"),
    ],
    ("440306", "宝安区", "Bao'an District"): [
        ("新安街道", "Xin'an"),
        ("西乡街道", "Xixiang"),
        ("航城街道", "Hangcheng"),
        ("福永街道", "Fuyong"),
        ("沙井街道", "Shajing"),
    ],
    ("440307", "龙岗区", "Longgang District"): [
        ("平湖街道", "Pinghu"),
        ("坂田街道", "Bantian"),
        ("布吉街道", "Buji"),
        ("龙城街道", "Longcheng"),
        ("横岗街道", "Henggang"),
    ],
    ("440308", "盐田区", "Yantian District"): [
        ("梅沙街道", "Meisha"),
        ("盐田街道", "Yantian"),
        ("沙头角街道", "Shatoujiao"),
        ("海山街道", "Haishan"),
    ],
    ("440309", "龙华区", "Longhua District"): [
        ("观湖街道", "Guanhu"),
        ("民治街道", "Minzhi"),
        ("龙华街道", "Longhua"),
        ("大浪街道", "Dalang"),
    ],
    ("440310", "坪山区", "Pingshan District"): [
        ("坪山街道", "Pingshan"),
        ("马峦街道", "Maluan"),
        ("碧岭街道", "Biling"),
        ("石井街道", "Shijing"),
    ],
    ("440311", "光明区", "Guangming District"): [
        ("光明街道", "Guangming"),
        ("公明街道", "Gongming"),
        ("新湖街道", "Xinhu"),
        ("凤凰街道", "Fenghuang"),
    ],
}
COMMUNITIES = [
    ("第一社区", "Community No. 1"),
    ("第二社区", "Community No. 2"),
    ("和平社区", "Heping Community"),
    ("幸福社区", "Xingfu Community"),
]

PEOPLE = [
    # (username, email, display role, groups, is_superuser)
    ("admin", "admin@example.org", "administrator", [roles.ADMINISTRATOR], True),
    ("officer", "officer@example.org", "programme officer", [roles.PROGRAMME_OFFICER], False),
    ("reviewer1", "reviewer1@example.org", "reviewer", [roles.REVIEWER], False),
    ("reviewer2", "reviewer2@example.org", "reviewer", [roles.REVIEWER], False),
    ("evaluator", "evaluator@example.org", "evaluator", [roles.EVALUATOR], False),
    ("finance", "finance@example.org", "finance officer", [roles.FINANCE_OFFICER], False),
    ("finance2", "finance2@example.org", "finance officer (2nd)", [roles.FINANCE_OFFICER], False),
    ("mentor", "mentor@example.org", "mentor", [roles.MENTOR], False),
    ("orgmember", "orgmember@example.org", "organization member", [], False),
    ("donor", "donor@example.org", "donor", [], False),
]
STAFF_ROLES = set(roles.MFA_ROLES) | {roles.MENTOR}

ORG_NAMES = [
    ("深圳市福田区夕阳红为老服务中心", OrganizationType.SOCIAL_SERVICE, "为老服务"),
    ("深圳市南山区彩虹桥青少年发展中心", OrganizationType.SOCIAL_SERVICE, "儿童青少年"),
    ("深圳市罗湖区同心助残服务社", OrganizationType.SOCIAL_SERVICE, "助残"),
    ("深圳市社区治理促进会", OrganizationType.SOCIAL_GROUP, "社区治理"),
    ("深圳市绿色家园环保志愿者协会", OrganizationType.SOCIAL_GROUP, "环境保护"),
    ("深圳市鹏城公益基金会", OrganizationType.FOUNDATION, "综合"),
    ("园岭街道邻里互助会", OrganizationType.COMMUNITY, "社区治理"),
    ("幸福社区广场舞队", OrganizationType.UNREGISTERED, "文化体育"),
    ("深圳市宝安区新芽青年志愿服务中心", OrganizationType.SOCIAL_SERVICE, "志愿服务"),
    ("航城街道书香读书会", OrganizationType.COMMUNITY, "文化体育"),
]
# English names the organizations gave (by index); the others are shown in Chinese,
# marked as the original, on the English site.
ENGLISH_NAMES = {
    0: ("Sunset Glow Elderly Service Centre, Futian", "Professional care for older residents."),
    1: ("Rainbow Bridge Youth Development Centre, Nanshan", ""),
    2: ("Tongxin Disability Service Society, Luohu", ""),
    4: ("Green Home Environmental Volunteers Association", ""),
}
# The names people say (by index), found by the site search.
SHORT_NAMES = {0: "夕阳红", 1: "彩虹桥", 2: "同心助残", 4: "绿色家园", 5: "鹏城公益", 8: "新芽青年"}
# Verification state of each demo organization (by index): every state is shown.
ORG_STATUS = {
    6: VerificationStatus.SUBMITTED,
    8: VerificationStatus.DRAFT,
    9: VerificationStatus.RETURNED,
}
RATINGS = {0: ("5A", 2028), 1: ("4A", 2027), 3: ("3A", 2026), 5: ("4A", 2024)}
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def credit_code(prefix: str, n: int) -> str:
    """A valid GB 32100-2015 code: prefix + region 440300 + serial, with check char."""
    body = (prefix + "440300" + f"{n:09d}")[:17]
    total = sum(CHARSET.index(c) * w for c, w in zip(body, WEIGHTS, strict=True))
    return body + CHARSET[(31 - total % 31) % 31]


TYPE_PREFIX = {
    OrganizationType.SOCIAL_GROUP: "51",
    OrganizationType.SOCIAL_SERVICE: "52",
    OrganizationType.FOUNDATION: "53",
    OrganizationType.COMMUNITY: "59",
}


def seed_regions(ctx: DemoContext) -> list[Region]:
    city, _ = Region.objects.update_or_create(
        code="440300",
        defaults={"name": "深圳市", "name_en": "Shenzhen", "level": RegionLevel.CITY},
    )
    subdistricts = []
    for (code, name, name_en), streets in SHENZHEN.items():
        district, _ = Region.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "level": RegionLevel.DISTRICT,
                "parent": city,
            },
        )
        for i, (street, pinyin) in enumerate(streets, start=1):
            sub, _ = Region.objects.update_or_create(
                code=f"{code}{i:03d}",
                defaults={
                    "name": street,
                    "name_en": f"{pinyin} Subdistrict",
                    "level": RegionLevel.SUBDISTRICT,
                    "parent": district,
                },
            )
            subdistricts.append(sub)
            for j, (community, community_en) in enumerate(COMMUNITIES[:2], start=1):
                Region.objects.update_or_create(
                    code=f"{code}{i:03d}{j:03d}",
                    defaults={
                        "name": community,
                        "name_en": community_en,
                        "level": RegionLevel.COMMUNITY,
                        "parent": sub,
                    },
                )
    return subdistricts


def seed_people(ctx: DemoContext) -> dict:
    User = get_user_model()
    users = {}
    for username, email, label, group_names, is_superuser in PEOPLE:
        user, created = User.objects.get_or_create(username=username, defaults={"email": email})
        if created:
            user.set_password(DEMO_PASSWORD)
        user.email = email
        user.is_superuser = is_superuser
        user.is_staff = is_superuser or bool(set(group_names) & STAFF_ROLES)
        user.save()
        user.groups.set(Group.objects.filter(name__in=group_names))
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        users[username] = user
        ctx.logins.append((label, username))
    return users


@transaction.atomic
def seed(ctx: DemoContext) -> None:
    subdistricts = seed_regions(ctx)
    users = seed_people(ctx)
    ctx.shared["users"] = users
    ctx.shared["subdistricts"] = subdistricts

    _seed_totp(users)
    orgs = []
    for i, (name, org_type, _focus) in enumerate(ORG_NAMES):
        prefix = TYPE_PREFIX.get(org_type)
        status = ORG_STATUS.get(i, VerificationStatus.VERIFIED)
        region = subdistricts[i % len(subdistricts)]
        rating, rating_year = RATINGS.get(i, ("", None))
        if org_type == OrganizationType.UNREGISTERED:
            kind = RegistrationKind.NONE
        elif org_type == OrganizationType.COMMUNITY and i == 9:
            kind = RegistrationKind.FILED
        else:
            kind = RegistrationKind.REGISTERED
        org, _ = Organization.objects.update_or_create(
            slug=slugify(f"org-{i + 1}"),
            defaults={
                "name": name,
                "short_name": SHORT_NAMES.get(i, ""),
                "name_en": ENGLISH_NAMES.get(i, ("", ""))[0],
                "mission_en": ENGLISH_NAMES.get(i, ("", ""))[1],
                "org_type": org_type,
                "registration_kind": kind,
                "credit_code": credit_code(prefix, 1000 + i)
                if prefix and kind == RegistrationKind.REGISTERED
                else None,
                "filing_number": f"深南备{2024000 + i}" if kind == RegistrationKind.FILED else "",
                "registration_authority": "深圳市民政局"
                if kind == RegistrationKind.REGISTERED
                else "",
                "established_on": datetime.date(2012 + i, 1 + i % 12, 1 + i % 27),
                "status": status,
                "verified_at": timezone.make_aware(datetime.datetime(2025, 1 + i, 10, 10))
                if status == VerificationStatus.VERIFIED
                else None,
                "region": region,
                "community": region.children.order_by("code").first(),
                "address": f"{region.name}建设路{10 + i}号",
                "contact_name": [
                    "张敏",
                    "李华",
                    "王芳",
                    "陈刚",
                    "刘洋",
                    "赵静",
                    "周婷",
                    "吴磊",
                    "郑丽",
                    "孙涛",
                ][i],
                "contact_mobile": f"138{ctx.rng.randrange(10**8):08d}",
                "contact_email": f"contact{i + 1}@example.org",
                "mission": f"{name}致力于以专业服务回应社区需求，推动居民参与和社区共治。",
                "staff_count": 2 + (i * 3) % 17,
                "volunteer_count": 20 + (i * 37) % 300,
                "last_year_income": (50 + i * 35) * 10_000 * 100,
                "rating": rating,
                "rating_expires_on": datetime.date(rating_year, 12, 31) if rating else None,
            },
        )
        orgs.append(org)
    Membership.objects.update_or_create(
        organization=orgs[0], user=users["orgmember"], defaults={"role": MemberRole.OWNER}
    )
    _seed_verification_states(orgs, users)
    _seed_members(orgs, users)
    _seed_incubation(ctx, orgs, users)
    if ctx.large:
        _seed_large_orgs(ctx, subdistricts)
    # The first eight, as before (index 6 is the one awaiting verification).
    ctx.shared["organizations"] = orgs[:8]
    ctx.shared["all_organizations"] = orgs
    ctx.log(
        f"organizations: {Organization.objects.count()} organizations, "
        f"{len(subdistricts)} sub-districts, {len(users)} demo users"
    )


def _seed_large_orgs(ctx: DemoContext, subdistricts: list[Region]) -> None:
    """2,000+ verified organizations for benchmarks, created in bulk."""
    target = 2000
    existing = set(
        Organization.objects.filter(slug__startswith="bulk-org-").values_list("slug", flat=True)
    )
    types = list(TYPE_PREFIX)
    batch = []
    for n in range(target):
        slug = f"bulk-org-{n}"
        if slug in existing:
            continue
        org_type = types[n % len(types)]
        batch.append(
            Organization(
                name=f"深圳市{subdistricts[n % len(subdistricts)].name}第{n + 1}号公益服务社",
                slug=slug,
                org_type=org_type,
                credit_code=credit_code(TYPE_PREFIX[org_type], 100000 + n),
                status=VerificationStatus.VERIFIED,
                region=subdistricts[n % len(subdistricts)],
                mission="扎根社区，服务居民。",
            )
        )
    Organization.objects.bulk_create(batch, batch_size=500)
    # bulk_create sends no save signal: index the new rows for search in one go.
    index_bulk(Organization.get_indexed_objects().filter(slug__in=[o.slug for o in batch]))


def _seed_totp(users: dict) -> None:
    from allauth.mfa.totp.internal.auth import TOTP

    for username in (
        "admin",
        "officer",
        "reviewer1",
        "reviewer2",
        "evaluator",
        "finance",
        "finance2",
        "mentor",
    ):
        user = users[username]
        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(user, DEMO_TOTP_SECRET)


def _file(field, name: str, content: bytes) -> None:
    """Store ``content`` in a private file field unless the file is already there."""
    if field.name and field.storage.exists(field.name):
        return
    field.save(name, ContentFile(content), save=False)


def _seed_verification_states(orgs: list[Organization], users: dict) -> None:
    officer = users["officer"]
    base = timezone.make_aware(datetime.datetime(2025, 1, 5, 9))
    for i, org in enumerate(orgs):
        if org.registration_kind == RegistrationKind.REGISTERED:
            doc, _ = OrganizationDocument.objects.get_or_create(
                organization=org,
                kind=DocumentKind.REGISTRATION_CERTIFICATE,
                defaults={
                    "original_name": "登记证书.pdf",
                    "content_type": "application/pdf",
                    "size": len(DEMO_PDF),
                },
            )
            _file(doc.file, f"demo-{org.slug}-certificate.pdf", DEMO_PDF)
            doc.save()
        if VerificationEvent.objects.filter(organization=org).exists():
            continue
        events = {
            VerificationStatus.VERIFIED: [
                (VerificationAction.SUBMITTED, ""),
                (VerificationAction.VERIFIED, ""),
            ],
            VerificationStatus.SUBMITTED: [(VerificationAction.SUBMITTED, "")],
            VerificationStatus.RETURNED: [
                (VerificationAction.SUBMITTED, ""),
                (VerificationAction.RETURNED, "备案证明照片不清晰，请重新上传清晰的扫描件。"),
            ],
            VerificationStatus.DRAFT: [],
        }[org.status]
        for n, (action, reason) in enumerate(events):
            event = VerificationEvent.objects.create(
                organization=org,
                action=action,
                reason=reason,
                actor=officer if action != VerificationAction.SUBMITTED else None,
            )
            VerificationEvent.objects.filter(pk=event.pk).update(
                created_at=base + datetime.timedelta(days=i * 7 + n * 3)
            )


def _seed_members(orgs: list[Organization], users: dict) -> None:
    User = get_user_model()
    colleagues = []
    for username, role in (("orgeditor", MemberRole.EDITOR), ("orgviewer", MemberRole.VIEWER)):
        user, created = User.objects.get_or_create(
            username=username, defaults={"email": f"{username}@example.org"}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        EmailAddress.objects.update_or_create(
            user=user, email=user.email, defaults={"verified": True, "primary": True}
        )
        colleagues.append((user, role))
    for user, role in colleagues:
        Membership.objects.update_or_create(
            organization=orgs[0], user=user, defaults={"role": role}
        )
    # orgmember also owns the draft and the returned organization: one user, several orgs.
    for org in orgs[8:10]:
        Membership.objects.update_or_create(
            organization=org, user=users["orgmember"], defaults={"role": MemberRole.OWNER}
        )
    for i, org in enumerate(orgs[1:8], start=1):
        if not org.memberships.filter(role=MemberRole.OWNER).exists():
            user, _ = User.objects.get_or_create(
                username=f"owner{i}", defaults={"email": f"owner{i}@example.org"}
            )
            if not user.has_usable_password():
                user.set_password(DEMO_PASSWORD)
                user.save()
            EmailAddress.objects.update_or_create(
                user=user, email=user.email, defaults={"verified": True, "primary": True}
            )
            Membership.objects.get_or_create(
                organization=org, user=user, defaults={"role": MemberRole.OWNER}
            )
    Invitation.objects.get_or_create(
        token="demo-invitation-colleague",  # noqa: S106 - a demo link, not a secret
        defaults={
            "organization": orgs[0],
            "email": "colleague@example.org",
            "role": MemberRole.EDITOR,
            "invited_by": users["orgmember"],
        },
    )


def _seed_incubation(ctx: DemoContext, orgs: list[Organization], users: dict) -> None:
    officer, mentor = users["officer"], users["mentor"]
    stages = {s.code: s for s in IncubationStage.objects.all()}
    dimensions = list(AssessmentDimension.objects.filter(is_active=True))
    spring, _ = Cohort.objects.update_or_create(
        slug="2026-spring",
        defaults={
            "programme": "深圳市社区社会组织孵化计划",
            "name": "2026年春季班",
            "description": "面向初创期社区社会组织，提供为期一年的入驻孵化。",
            "venue": "福田区社会组织孵化基地（莲花街道）",
            "support_offered": "办公场地、导师一对一辅导、骨干培训、小额启动资金、登记注册指导",
            "capacity": 6,
            "starts_on": datetime.date(2026, 3, 1),
            "ends_on": datetime.date(2027, 2, 28),
            "applications_open_until": datetime.date(2026, 12, 31),
        },
    )
    autumn, _ = Cohort.objects.update_or_create(
        slug="2025-autumn",
        defaults={
            "programme": "深圳市社区社会组织孵化计划",
            "name": "2025年秋季班",
            "description": "上一期孵化，已结业。",
            "venue": "南山区社会组织孵化基地",
            "support_offered": "办公场地、导师辅导、培训",
            "capacity": 4,
            "starts_on": datetime.date(2025, 9, 1),
            "ends_on": datetime.date(2026, 8, 31),
            "applications_open_until": datetime.date(2025, 8, 15),
        },
    )
    plans = [
        # (org index, cohort, status, stage codes with dates, mentor, note)
        (
            0,
            spring,
            ResidencyStatus.ADMITTED,
            [("applied", "2026-02-10"), ("moved_in", "2026-03-02"), ("nurturing", "2026-05-06")],
            mentor,
            "",
        ),
        (6, spring, ResidencyStatus.APPLIED, [("applied", "2026-03-20")], None, ""),
        (
            4,
            spring,
            ResidencyStatus.DECLINED,
            [("applied", "2026-02-12")],
            None,
            "本期聚焦社区社会组织，建议申请下一期环保专题孵化。",
        ),
        (
            3,
            autumn,
            ResidencyStatus.GRADUATED,
            [
                ("applied", "2025-08-01"),
                ("moved_in", "2025-09-02"),
                ("nurturing", "2025-11-01"),
                ("graduated", "2026-08-20"),
            ],
            mentor,
            "",
        ),
        (
            7,
            autumn,
            ResidencyStatus.EXITED,
            [("applied", "2025-08-03"), ("moved_in", "2025-09-02"), ("exited", "2026-01-15")],
            None,
            "团队核心成员离开，主动退出。",
        ),
    ]
    residencies = {}
    for index, cohort, status, history, assigned, note in plans:
        org = orgs[index]
        last = stages[history[-1][0]]
        residency, _ = Residency.objects.update_or_create(
            cohort=cohort,
            organization=org,
            defaults={
                "status": status,
                "stage": last,
                "mentor": assigned,
                "motivation": f"{org.name}希望通过孵化提升治理与项目管理能力。",
                "needs": "登记注册指导、财务制度建设、筹资培训",
                "applied_by": org.memberships.filter(role=MemberRole.OWNER).first().user
                if org.memberships.exists()
                else None,
                "decided_by": officer if status != ResidencyStatus.APPLIED else None,
                "decided_at": timezone.make_aware(
                    datetime.datetime.fromisoformat(history[0][1]) + datetime.timedelta(days=5)
                )
                if status != ResidencyStatus.APPLIED
                else None,
                "decision_note": note,
            },
        )
        if status not in (ResidencyStatus.APPLIED, ResidencyStatus.DECLINED):
            _file(residency.agreement, f"demo-agreement-{residency.pk}.pdf", DEMO_PDF)
            residency.agreement_name = "入驻协议.pdf"
            residency.agreement_content_type = "application/pdf"
            residency.agreement_uploaded_at = residency.decided_at
            residency.save()
        if not residency.stage_changes.exists():
            StageChange.objects.bulk_create(
                [
                    StageChange(
                        residency=residency,
                        stage=stages[code],
                        changed_on=datetime.date.fromisoformat(day),
                        changed_by=officer,
                        note=note if code == "exited" else "",
                    )
                    for code, day in history
                ]
            )
        residencies[index] = residency

    for residency, rounds in (
        (residencies[0], [(2, "2026-03-15"), (3, "2026-07-15")]),
        (residencies[3], [(2, "2025-09-20"), (3, "2026-01-20"), (4, "2026-07-20")]),
    ):
        for base, day in rounds:
            assessment, created = CapacityAssessment.objects.get_or_create(
                residency=residency,
                assessed_on=datetime.date.fromisoformat(day),
                defaults={"assessor": mentor, "summary": "整体能力稳步提升。"},
            )
            if created:
                AssessmentScore.objects.bulk_create(
                    [
                        AssessmentScore(
                            assessment=assessment,
                            dimension=d,
                            score=max(1, min(5, base + ctx.rng.choice([-1, 0, 0, 1]))),
                            evidence=f"{d.name}：查阅制度文件与活动记录，访谈负责人。",
                        )
                        for d in dimensions
                    ]
                )
        if not residency.service_logs.exists():
            ServiceLog.objects.bulk_create(
                [
                    ServiceLog(
                        residency=residency,
                        kind="consultation",
                        provided_by=mentor,
                        provided_on=datetime.date(2026, 3, 10),
                        hours=Decimal("2.0"),
                        description="梳理组织架构与理事会制度",
                    ),
                    ServiceLog(
                        residency=residency,
                        kind="venue",
                        provided_by=officer,
                        provided_on=datetime.date(2026, 3, 12),
                        hours=Decimal("8.0"),
                        description="使用孵化基地会议室开展志愿者培训",
                    ),
                    ServiceLog(
                        residency=residency,
                        kind="small_grant",
                        provided_by=officer,
                        provided_on=datetime.date(2026, 4, 1),
                        hours=Decimal("1.0"),
                        grant_amount=2_000_000,
                        description="启动资金两万元",
                    ),
                ]
            )
    session, _ = TrainingSession.objects.update_or_create(
        cohort=spring,
        title="社会组织财务管理实务",
        defaults={
            "held_on": datetime.date(2026, 4, 18),
            "hours": Decimal("3.0"),
            "venue": "福田区社会组织孵化基地",
            "trainer": "深圳市社会组织总会讲师",
        },
    )
    TrainingAttendance.objects.get_or_create(
        session=session, residency=residencies[0], attendee_name="张敏", defaults={"attended": True}
    )
    TrainingAttendance.objects.get_or_create(
        session=session,
        residency=residencies[0],
        attendee_name="李晓",
        defaults={"attended": False},
    )
    ctx.log(
        f"incubation: {Cohort.objects.count()} cohorts, {Residency.objects.count()} "
        f"residencies; demo staff TOTP secret {DEMO_TOTP_SECRET}"
    )
