"""Demo regions, people, roles and organizations (see ``portal.demo``)."""

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.text import slugify

from portal.demo import DEMO_PASSWORD, DemoContext

from . import roles
from .enums import MemberRole, OrganizationType, RegionLevel, VerificationStatus
from .models import Membership, Organization, Region

# Shenzhen: districts and a selection of their sub-districts (街道), with real names.
SHENZHEN = {
    ("440303", "罗湖区", "Luohu"): ["桂园街道", "黄贝街道", "东门街道", "翠竹街道", "笋岗街道"],
    ("440304", "福田区", "Futian"): ["园岭街道", "南园街道", "福田街道", "沙头街道", "莲花街道"],
    ("440305", "南山区", "Nanshan"): ["南头街道", "南山街道", "沙河街道", "蛇口街道", "粤海街道"],
    ("440306", "宝安区", "Bao'an"): ["新安街道", "西乡街道", "航城街道", "福永街道", "沙井街道"],
    ("440307", "龙岗区", "Longgang"): ["平湖街道", "坂田街道", "布吉街道", "龙城街道", "横岗街道"],
    ("440308", "盐田区", "Yantian"): ["梅沙街道", "盐田街道", "沙头角街道", "海山街道"],
    ("440309", "龙华区", "Longhua"): ["观湖街道", "民治街道", "龙华街道", "大浪街道"],
    ("440310", "坪山区", "Pingshan"): ["坪山街道", "马峦街道", "碧岭街道", "石井街道"],
    ("440311", "光明区", "Guangming"): ["光明街道", "公明街道", "新湖街道", "凤凰街道"],
}
COMMUNITIES = ["第一社区", "第二社区", "和平社区", "幸福社区"]

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
]
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
            defaults={"name": name, "name_en": name_en, "level": RegionLevel.DISTRICT,
                      "parent": city},
        )
        for i, street in enumerate(streets, start=1):
            sub, _ = Region.objects.update_or_create(
                code=f"{code}{i:03d}",
                defaults={"name": street, "level": RegionLevel.SUBDISTRICT, "parent": district},
            )
            subdistricts.append(sub)
            for j, community in enumerate(COMMUNITIES[:2], start=1):
                Region.objects.update_or_create(
                    code=f"{code}{i:03d}{j:03d}",
                    defaults={"name": community, "level": RegionLevel.COMMUNITY, "parent": sub},
                )
    return subdistricts


def seed_people(ctx: DemoContext) -> dict:
    User = get_user_model()
    users = {}
    for username, email, label, group_names, is_superuser in PEOPLE:
        user, created = User.objects.get_or_create(
            username=username, defaults={"email": email}
        )
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

    orgs = []
    for i, (name, org_type, _focus) in enumerate(ORG_NAMES):
        prefix = TYPE_PREFIX.get(org_type)
        status = VerificationStatus.VERIFIED
        if i == len(ORG_NAMES) - 2:
            status = VerificationStatus.SUBMITTED
        org, _ = Organization.objects.update_or_create(
            slug=slugify(f"org-{i + 1}"),
            defaults={
                "name": name,
                "org_type": org_type,
                "credit_code": credit_code(prefix, 1000 + i) if prefix else None,
                "status": status,
                "region": subdistricts[i % len(subdistricts)],
                "mission": f"{name}致力于以专业服务回应社区需求，推动居民参与和社区共治。",
            },
        )
        orgs.append(org)
    Membership.objects.update_or_create(
        organization=orgs[0], user=users["orgmember"], defaults={"role": MemberRole.OWNER}
    )
    if ctx.large:
        _seed_large_orgs(ctx, subdistricts)
    ctx.shared["organizations"] = orgs
    ctx.log(f"organizations: {Organization.objects.count()} organizations, "
            f"{len(subdistricts)} sub-districts, {len(users)} demo users")


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
        batch.append(Organization(
            name=f"深圳市{subdistricts[n % len(subdistricts)].name}第{n + 1}号公益服务社",
            slug=slug,
            org_type=org_type,
            credit_code=credit_code(TYPE_PREFIX[org_type], 100000 + n),
            status=VerificationStatus.VERIFIED,
            region=subdistricts[n % len(subdistricts)],
            mission="扎根社区，服务居民。",
        ))
    Organization.objects.bulk_create(batch, batch_size=500)
