"""Demo sponsors, pools, rules and donations of every kind (see ``portal.demo``).

Idempotent: natural keys (sponsor/pool names, donation external ids, ledger idempotency
keys). ``--size large`` bulk-inserts ≥ 50,000 imported donations together with their
balanced ledger rows, so ``reconcile`` still passes.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from portal.core.demo import DemoContext
from projects.demo import money_history
from projects.enums import ProjectStatus, ProjectTier
from projects.models import Project

from .enums import (
    AccountKind,
    Anonymity,
    DonationSource,
    DonationStatus,
    MatchingMode,
    OfflineMethod,
    SponsorKind,
    TransactionKind,
)
from .models import Donation, Entry, LedgerTransaction, MatchingRule, MatchPool, Sponsor
from .services.balances import rebuild_balances
from .services.donations import (
    approve_offline_donation,
    mark_succeeded,
    record_offline_donation,
    record_refund,
)
from .services.imports import approve_import, commit_import
from .services.ledger import account_for, project_account
from .services.matching import reserve_match
from .services.pools import top_up_pool

SPONSORS = [
    ("市民政局社会组织发展专项资金", SponsorKind.GOVERNMENT),
    ("鹏城公益基金会", SponsorKind.FOUNDATION),
    ("市福利彩票公益金", SponsorKind.LOTTERY),
    ("同心科技有限公司", SponsorKind.COMPANY),
]
DONORS = ["陈晓", "林华", "王芳", "李强", "张敏", "刘洋", "黄磊", "周婷", "吴杰", "郑丽"]
LARGE_DONATIONS = 50_000


@transaction.atomic
def seed(ctx: DemoContext) -> None:
    users = ctx.shared["users"]
    calls = ctx.shared["calls"]
    projects = ctx.shared["projects"]
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    sponsors = {
        name: Sponsor.objects.update_or_create(name=name, defaults={"kind": kind})[0]
        for name, kind in SPONSORS
    }
    live_call, settle_call = calls[1], calls[2]
    MatchingRule.objects.update_or_create(
        call=live_call,
        defaults={
            "mode": MatchingMode.LIVE,
            "ratio_num": 1,
            "ratio_den": 1,
            "cap_per_donation": 5_000_00,
            "cap_per_project": 100_000_00,
            "cap_per_donor_project": 20_000_00,
            "min_donation": 10_00,
            "campaign_starts_at": live_call.opens_at,
            "campaign_ends_at": live_call.closes_at,
        },
    )
    MatchingRule.objects.update_or_create(
        call=settle_call,
        defaults={
            "mode": MatchingMode.SETTLEMENT,
            "ratio_num": 1,
            "ratio_den": 2,
            "cap_per_project": 150_000_00,
            "campaign_starts_at": settle_call.opens_at,
            "campaign_ends_at": settle_call.closes_at,
        },
    )
    pools = [
        (
            "2026为老服务配捐资金（市级）",
            SponsorKind.GOVERNMENT,
            0,
            10,
            (1, 1),
            live_call,
            500_000_00,
        ),
        ("鹏城公益基金会冠名配捐", SponsorKind.FOUNDATION, 1, 20, (1, 2), live_call, 200_000_00),
        ("儿童青少年项目结算配捐", SponsorKind.LOTTERY, 2, 10, (1, 1), settle_call, 300_000_00),
    ]
    pool_objs = []
    for name, _kind, sponsor_i, priority, ratio, call, amount in pools:
        pool, _ = MatchPool.objects.update_or_create(
            name=name,
            defaults={
                "sponsor": sponsors[SPONSORS[sponsor_i][0]],
                "priority": priority,
                "ratio_num": ratio[0],
                "ratio_den": ratio[1],
                "starts_at": now - timedelta(days=400),
                "ends_at": now + timedelta(days=400),
                "currency": "CNY",
            },
        )
        pool.calls.add(call)
        top_up_pool(pool=pool, amount=amount, key="demo-initial", by=users["finance"])
        pool_objs.append(pool)

    # Gifts today only to projects that take money now (agreement signed, not ended).
    open_projects = [p for p in projects if p.accepts_money]
    matched = [
        p
        for p in open_projects
        if p.call_id == live_call.pk and p.tier == ProjectTier.FUNDED_MATCHED
    ]
    settle = [p for p in open_projects if p.call_id == settle_call.pk]
    _seed_site_settings()
    _seed_online(ctx, matched + settle, now)
    _seed_offline(ctx, matched[0], users)
    _seed_import(ctx, settle or matched, users, now)
    # Completed projects raised their money while they ran.
    with money_history(projects):
        _seed_delivered_funds(projects, users, now)
    if ctx.large:
        _seed_large(ctx)
    ctx.log(
        f"funding: {Sponsor.objects.count()} sponsors, {MatchPool.objects.count()} pools, "
        f"{Donation.objects.count()} donations, "
        f"{LedgerTransaction.objects.count()} ledger transactions"
    )


DEMO_ISSUER = "深圳市社会组织发展基金会（演示）"


def _seed_site_settings() -> None:
    """What finance enters once under Settings: where offline gifts go (so donors can
    pledge one and quote its code in the transfer memo) and the issuer printed on
    receipts, with a drawn seal. All marked as demo data."""
    from io import BytesIO

    from django.core.files.base import ContentFile
    from PIL import Image, ImageDraw
    from wagtail.models import Site

    from organizations.validators import credit_code_check_char

    from .models import OfflineGivingSettings, ReceiptSettings

    site = Site.objects.get(is_default_site=True)
    offline = OfflineGivingSettings.for_site(site)
    offline.payee_name = DEMO_ISSUER
    offline.bank_name = "中国工商银行深圳福田支行"
    offline.account_number = "4000 0211 0900 1234 567"
    offline.office_address = "深圳市福田区民生路 1 号 市社会组织服务中心 3 楼"
    offline.office_hours = "周一至周五 9:00–17:30"
    offline.note = "演示数据：请勿真实汇款。转账时请在附言中填写登记线下捐赠后获得的参考码。"
    offline.save()

    receipts = ReceiptSettings.for_site(site)
    receipts.issuer_name = DEMO_ISSUER
    body = "53440300MJL000001"
    receipts.credit_code = body + credit_code_check_char(body)
    if not receipts.seal:
        image = Image.new("RGBA", (240, 240), (255, 255, 255, 0))
        draw = ImageDraw.Draw(image)
        red = (200, 30, 30, 255)
        draw.ellipse((8, 8, 232, 232), outline=red, width=10)
        star = [(120, 62), (134, 104), (178, 104), (142, 130), (156, 172), (120, 146),
                (84, 172), (98, 130), (62, 104), (106, 104)]  # fmt: skip
        draw.polygon(star, fill=red)
        buffer = BytesIO()
        image.save(buffer, format="PNG")
        receipts.seal.save("demo-seal.png", ContentFile(buffer.getvalue()), save=False)
    receipts.save()


def _seed_online(ctx: DemoContext, projects: list[Project], now) -> None:
    """Succeeded online gifts (some anonymous), one refunded, two still in checkout."""
    for i in range(24):
        external_id = f"cs_demo_{i:03d}"
        if Donation.objects.filter(source=DonationSource.STRIPE, external_id=external_id).exists():
            continue
        project = projects[i % len(projects)]
        amount = ctx.rng.choice([50, 100, 200, 500, 1000, 2000]) * 100
        donation = Donation.objects.create(
            project=project,
            amount=amount,
            source=DonationSource.STRIPE,
            external_id=external_id,
            donor_name=DONORS[i % len(DONORS)],
            donor_email=f"donor{i % 7}@example.org",
            anonymity=[
                Anonymity.NONE,
                Anonymity.NONE,
                Anonymity.HIDE_NAME,
                Anonymity.HIDE_AMOUNT,
                Anonymity.HIDE_BOTH,
            ][i % 5],
            message="加油！" if i % 3 == 0 else "",
            receipt_requested=i % 4 == 0,
            dedication="献给我的外婆" if i == 5 else "",
        )
        reserve_match(donation=donation, at=now)
        if i >= 22:
            continue  # left in checkout: reservation held, released by expire_reservations
        mark_succeeded(
            donation=donation,
            amount_received=amount,
            currency="CNY",
            payment_intent=f"pi_demo_{i:03d}",
            at=now - timedelta(hours=24 - i),
        )
        if i == 7:
            record_refund(donation=donation, refunded_total=amount)
        if i == 8:
            record_refund(donation=donation, refunded_total=amount // 2)


def _seed_offline(ctx: DemoContext, project: Project, users) -> None:
    for ref, amount, approve in (
        ("BANK-DEMO-001", 30_000_00, True),
        ("BANK-DEMO-002", 8_000_00, False),
    ):
        if Donation.objects.filter(source=DonationSource.OFFLINE, external_id=ref).exists():
            continue
        donation = record_offline_donation(
            project=project,
            amount=amount,
            method=OfflineMethod.BANK_TRANSFER,
            recorded_by=users["finance"],
            donor_name="同心科技有限公司",
            reference=ref,
            receipt_requested=True,
        )
        if approve:
            approve_offline_donation(donation=donation, approved_by=users["finance2"])


def _seed_import(ctx: DemoContext, projects: list[Project], users, now) -> None:
    header = "external_id,project_slug,amount_yuan,donor_name,donor_email,date,message,anonymous"
    lines = [header]
    for i in range(12):
        project = projects[i % len(projects)]
        day = (now - timedelta(days=3 + i)).date().isoformat()
        lines.append(
            f"TX-DEMO-{i:04d},{project.slug},{(i + 1) * 88},网友{i},,{day},,"
            f"{'是' if i % 4 == 0 else ''}"
        )
    batch = commit_import(
        content="\n".join(lines).encode(),
        source="generic",
        file_name="demo-platform-export.csv",
        by=users["finance"],
    )
    if batch.created_count:
        approve_import(batch=batch, approved_by=users["finance2"])


# Share of its goal a funded project running (in progress) or done (completed) has
# raised from the designated platform, so its tranches and spending (delivery demo) are
# covered: spent ≤ disbursed ≤ raised + matched.
DELIVERED_RAISED_PERCENT = {ProjectStatus.IN_PROGRESS: 60, ProjectStatus.COMPLETED: 100}


def _seed_delivered_funds(projects: list[Project], users, now) -> None:
    """Platform gifts for every funded project that is being (or has been) delivered,
    dated inside its call's window (completed projects) or in the last few days."""
    header = "external_id,project_slug,amount_yuan,donor_name,donor_email,date,message,anonymous"
    lines = [header]
    for project in projects:
        percent = DELIVERED_RAISED_PERCENT.get(project.status)
        if percent is None or project.tier != ProjectTier.FUNDED_MATCHED:
            continue
        total_yuan = (project.goal_amount or 50_000_00) * percent // 100 // 100
        if project.status == ProjectStatus.COMPLETED:
            last_day = min(project.call.closes_at, now)
        else:
            last_day = now
        for k in range(4):
            day = (last_day - timedelta(days=1 + k)).date().isoformat()
            amount = total_yuan // 4 + (total_yuan % 4 if k == 0 else 0)
            lines.append(
                f"TX-DEMO-{project.slug}-{k},{project.slug},{amount},网友{k + 20},,{day},,"
            )
    if len(lines) > 1:
        batch = commit_import(
            content="\n".join(lines).encode(),
            source="generic",
            file_name="demo-platform-export-delivered.csv",
            by=users["finance"],
        )
        if batch.created_count:
            approve_import(batch=batch, approved_by=users["finance2"])


def _seed_large(ctx: DemoContext) -> None:
    """≥ 50,000 imported gifts, written in bulk: donation rows, one DONATION transaction
    each and its two entries, exactly as ``_post_donation`` would write them."""
    existing = Donation.objects.filter(
        source=DonationSource.IMPORT, import_source="bulk-demo"
    ).count()
    if existing >= LARGE_DONATIONS:
        return
    projects = list(
        Project.objects.filter(slug__startswith="bulk-project-").only("pk", "currency")[:2000]
    ) or list(Project.objects.only("pk", "currency"))
    clearing = account_for(
        kind=AccountKind.CLEARING, currency="CNY", provider=DonationSource.IMPORT
    )
    accounts = {p.pk: project_account(p, "CNY") for p in projects}
    now = timezone.now()
    batch = 5_000
    for start in range(existing, LARGE_DONATIONS, batch):
        stop = min(start + batch, LARGE_DONATIONS)
        donations = Donation.objects.bulk_create(
            [
                Donation(
                    project_id=projects[n % len(projects)].pk,
                    amount=ctx.rng.randrange(10, 2_000) * 100,
                    currency="CNY",
                    source=DonationSource.IMPORT,
                    import_source="bulk-demo",
                    external_id=f"BULK-{n:07d}",
                    status=DonationStatus.SUCCEEDED,
                    donor_name=DONORS[n % len(DONORS)],
                    received_at=now - timedelta(minutes=n),
                )
                for n in range(start, stop)
            ],
            batch_size=1000,
        )
        if not all(d.pk for d in donations):
            donations = list(
                Donation.objects.filter(
                    import_source="bulk-demo",
                    external_id__in=[f"BULK-{n:07d}" for n in range(start, stop)],
                )
            )
        txns = LedgerTransaction.objects.bulk_create(
            [
                LedgerTransaction(
                    kind=TransactionKind.DONATION,
                    idempotency_key=f"donation:{d.pk}",
                    currency="CNY",
                    donation=d,
                )
                for d in donations
            ],
            batch_size=1000,
        )
        if not all(t.pk for t in txns):
            keys = {f"donation:{d.pk}": d for d in donations}
            txns = list(LedgerTransaction.objects.filter(idempotency_key__in=list(keys)))
        by_donation = {d.pk: d for d in donations}
        entries = []
        for t in txns:
            d = by_donation[t.donation_id]
            entries.append(Entry(transaction=t, account=clearing, amount=-d.amount, currency="CNY"))
            entries.append(
                Entry(
                    transaction=t, account=accounts[d.project_id], amount=d.amount, currency="CNY"
                )
            )
        Entry.objects.bulk_create(entries, batch_size=2000)
    # The bulk rows bypassed post_transaction: recompute those projects' balances.
    rebuild_balances([p.pk for p in projects])
    ctx.log(f"funding: {LARGE_DONATIONS} bulk imported donations with ledger rows")
