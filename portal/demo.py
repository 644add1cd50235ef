"""Deterministic demo data, assembled app by app.

``seed_all`` runs each app's ``demo.seed(ctx)`` in dependency order. Every step is
idempotent (natural keys + ``update_or_create``), so running it twice changes nothing,
and deterministic (one seeded ``random.Random`` shared through the context).
"""

import importlib
import random
import uuid
from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import translation
from wagtail.models import Locale, Page, Site
from wagtail.rich_text import RichText

from portal.core.demo import DemoContext, ensure_child

APPS_IN_ORDER = [
    "organizations",
    "projects",
    "projects.review",
    "funding",
    "projects.delivery",
    "projects.evaluation",
]


def seed_all(*, size: str = "small", seed: int = 2026, log=print) -> DemoContext:
    """Seed the site shell, then every app that has a ``demo`` module."""
    ctx = DemoContext(size=size, rng=random.Random(seed), log=log)
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
        seed_site(ctx)
    for app in APPS_IN_ORDER:
        try:
            module = importlib.import_module(f"{app}.demo")
        except ModuleNotFoundError:
            continue
        with translation.override(settings.LANGUAGE_CODE):
            module.seed(ctx)
    seed_consents(ctx)
    _refresh_planner_statistics(log)
    return ctx


def seed_consents(ctx: DemoContext) -> None:
    """Every demo account agreed to the privacy policy when it signed up (as a real
    account does on the sign-up form, portal/consent.py); without it each demo login
    would first stop at the consent page."""
    from django.contrib.auth import get_user_model

    from portal.consent import current_policy, forget_policy
    from portal.models import Consent, ConsentPurpose

    forget_policy()
    policy = current_policy()
    if policy is None:
        return
    agreed = Consent.objects.filter(
        purpose=ConsentPurpose.PRIVACY_POLICY, version=policy.version, withdrawn_at__isnull=True
    ).values("user_id")
    missing = get_user_model().objects.exclude(pk__in=agreed).values_list("pk", flat=True)
    created = Consent.objects.bulk_create(
        Consent(user_id=pk, purpose=ConsentPurpose.PRIVACY_POLICY, version=policy.version)
        for pk in missing.iterator()
    )
    ctx.log(f"privacy: {len(created)} accounts agreed to policy {policy.version}")


def _refresh_planner_statistics(log) -> None:
    """``ANALYZE`` after a bulk load (PostgreSQL). Until autovacuum gets to them the
    planner believes the freshly filled tables are nearly empty and picks nested loops
    that made the large seed's directory 5× slower (225 ms for a count, bench/README)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        log("database: planner statistics refreshed (ANALYZE)")


HOME_BODY = {
    "zh-hans": [
        (
            "hero",
            {
                "heading": "让每一个社区需求都被看见",
                "text": "发布公益创投征集、孵化社区社会组织、配捐透明可查——"
                "需求由群众提出，过程阳光公开，成效让群众评判。",
                "image": None,
                "button_text": "查看正在征集",
                "button_page": None,
            },
        ),
        ("featured_calls", {"heading": "正在征集", "count": 3}),
        ("figures", {"heading": "平台数据"}),
        ("featured_projects", {"heading": "公益项目", "count": 6}),
        ("latest_news", {"heading": "新闻动态", "count": 3}),
    ],
    "en": [
        (
            "hero",
            {
                "heading": "Every community need, seen and served",
                "text": "Open calls for community service projects, incubation for young "
                "organizations, and matched donations anyone can trace.",
                "image": None,
                "button_text": "See open calls",
                "button_page": None,
            },
        ),
        ("featured_calls", {"heading": "Open calls", "count": 3}),
        ("figures", {"heading": "In figures"}),
        ("featured_projects", {"heading": "Projects", "count": 6}),
        ("latest_news", {"heading": "News", "count": 3}),
    ],
}

PRIVACY_POLICY_VERSION = "2026-12"

PAGES = {
    "zh-hans": {
        "home": "首页",
        "about": (
            "关于平台",
            "本平台由市民政局与公益基金会共同运营，服务社区社会组织的孵化、"
            "公益创投项目的征集评审与配捐资金的公开透明。",
        ),
        "guide": ("申报指南", "社会组织注册并通过认证后，即可在征集开放期间在线申报项目。"),
        "news": "新闻动态",
        "calls": "公益创投征集",
        "footer_about": "<p>服务社会组织成长，让每一笔善款公开透明。</p>",
        "footer_contact": "市社会组织服务中心\n电话：0755-8888 0000\n地址：福田区民生路 1 号",
        "privacy": (
            "隐私政策",
            "我们只收集办理认证、申报、评审、捐赠和收据所必需的个人信息，"
            "仅用于这些目的；捐赠人的姓名和金额可以选择不公开。您可以在“我的”页面下载"
            "我们保存的全部个人信息，撤回同意或申请删除。",
            [
                ("heading", "我们收集哪些信息"),
                (
                    "paragraph",
                    "<p>账户：用户名、电子邮箱和密码（加密保存）。机构认证：机构名称、统一社会信用代码、"
                    "登记证书和联系人姓名。捐赠：捐赠人姓名（可匿名）、电子邮箱、金额和支付单号。"
                    "进展报告中的照片在发布前会去除拍摄地点等元数据。</p>",
                ),
                ("heading", "用于什么目的"),
                (
                    "paragraph",
                    "<p>办理机构认证、项目申报与评审、配捐结算和开具捐赠收据；依法公示资助结果和财务信息。"
                    "我们不出售个人信息，也不用于营销。</p>",
                ),
                ("heading", "您的权利"),
                (
                    "paragraph",
                    "<p>您可以随时在“我的”页面下载个人数据、撤回同意；撤回后账户停止使用，"
                    "已经发生的捐赠、收据和评审决定依法保留。删除个人信息请联系平台管理员。</p>",
                ),
            ],
        ),
    },
    "en": {
        "home": "Home",
        "about": (
            "About",
            "The portal is run by the city's civil-affairs bureau with a "
            "charitable foundation: incubation for community organizations, open "
            "calls with fair review, and matched funds anyone can trace.",
        ),
        "guide": (
            "How to apply",
            "Register your organization, get verified, then apply online while a call is open.",
        ),
        "news": "News",
        "calls": "Calls for projects",
        "footer_about": "<p>Helping community organizations grow; every yuan in the open.</p>",
        "footer_contact": "City Social Organization Service Centre\nTel: +86 755 8888 0000",
        "privacy": (
            "Privacy policy",
            "We collect only the personal information needed for verification, applications, "
            "review, gifts and receipts, and use it only for these purposes; donors may keep "
            "their name and amount private. On your “My account” page you can download "
            "everything we hold about you, withdraw your consent or ask for erasure.",
            [
                ("heading", "What we collect"),
                (
                    "paragraph",
                    "<p>Account: user name, e-mail address and password (stored hashed). "
                    "Verification: the organization's name, unified credit code, registration "
                    "certificate and contact person. Gifts: the donor's name (or anonymous), "
                    "e-mail address, amount and payment reference. Photos in progress reports are "
                    "stripped of location and other metadata before they are published.</p>",
                ),
                ("heading", "What we use it for"),
                (
                    "paragraph",
                    "<p>Verifying organizations, applications and review, settling matched funds "
                    "and issuing receipts; publishing funding results and accounts as the law "
                    "requires. We never sell personal information or use it for marketing.</p>",
                ),
                ("heading", "Your rights"),
                (
                    "paragraph",
                    "<p>You can download your data and withdraw your consent at any time on your "
                    "“My account” page; after a withdrawal the account is no longer used, while "
                    "gifts, receipts and review decisions already made are kept as the law "
                    "requires. Ask the platform administrators to erase your personal data.</p>",
                ),
            ],
        ),
    },
}

NEWS = [
    (
        date(2026, 11, 20),
        "2026年度公益创投大赛启动",
        "2026 charity project competition opens",
        "本年度共安排资助资金 800 万元，重点支持为老服务、儿童青少年与社区治理。",
        "This year 8 million yuan supports elder care, children and community governance.",
    ),
    (
        date(2026, 10, 15),
        "第三期社区社会组织孵化营开营",
        "Third incubation cohort moves in",
        "18 家社区社会组织入驻孵化基地，开始为期一年的培育。",
        "18 community organizations begin a year of incubation.",
    ),
    (
        date(2026, 9, 9),
        "九九公益日配捐结果公示",
        "Giving-day matching results published",
        "本次配捐共撬动社会资金 326 万元，配捐资金全部到位。",
        "Matching leveraged 3.26 million yuan in donations; all match funds are paid.",
    ),
]


def seed_site(ctx: DemoContext) -> None:
    """Locales, one home page per language (as translations), content pages, news, footer."""
    from portal.models import (
        Footer,
        HomePage,
        NewsIndexPage,
        NewsPage,
        PrivacyPolicyPage,
        StandardPage,
    )

    zh, _ = Locale.objects.get_or_create(language_code="zh-hans")
    en, _ = Locale.objects.get_or_create(language_code="en")
    root = Page.get_first_root_node() or Page.add_root(title="Root", slug="root", locale=zh)

    home_zh = HomePage.objects.filter(locale=zh).first()
    if home_zh is None:
        home_zh = HomePage(title=PAGES["zh-hans"]["home"], slug="home-zh", locale=zh)
        root.add_child(instance=home_zh)
        home_zh.save_revision().publish()
        site = Site.objects.filter(is_default_site=True).first()
        old_root = site.root_page if site else None
        if site:
            site.root_page = home_zh
            site.site_name = settings.WAGTAIL_SITE_NAME
            site.save()
        else:
            Site.objects.create(
                hostname="localhost",
                root_page=home_zh,
                is_default_site=True,
                site_name=settings.WAGTAIL_SITE_NAME,
            )
        if old_root and not isinstance(old_root.specific, HomePage):
            old_root.delete()
    home_en = home_zh.get_translation_or_none(en)
    if home_en is None:
        home_en = home_zh.copy_for_translation(en)
        home_en.title = PAGES["en"]["home"]
        home_en.slug = "home-en"
        home_en.save_revision().publish()
        home_en = HomePage.objects.get(pk=home_en.pk)
    # The English root is a translation of the site root: Wagtail's cached root paths
    # must be rebuilt to include it, or English URLs resolve to None.
    Site.clear_site_root_paths_cache()
    homes = {"zh-hans": home_zh.specific, "en": home_en.specific}
    ctx.shared["homes"] = homes

    for code, home in homes.items():
        text = PAGES[code]
        if not home.body:
            # Fill an empty home page once; never overwrite what editors changed.
            home.body = HOME_BODY[code]
            home.save_revision().publish()
        for key, slug in (("about", "about"), ("guide", "guide")):
            title, intro = text[key]
            ensure_child(
                home,
                StandardPage,
                slug,
                title=title,
                intro=intro,
                show_in_menus=True,
                locale=home.locale,
            )
        title, intro, body = text["privacy"]
        policy = ensure_child(
            home,
            PrivacyPolicyPage,
            "privacy",
            title=title,
            intro=intro,
            version=PRIVACY_POLICY_VERSION,
            effective_date=date(2026, 12, 1),
            locale=home.locale,
        )
        if not policy.body:
            policy.body = [
                (kind, RichText(value) if kind == "paragraph" else value) for kind, value in body
            ]
            policy.save_revision().publish()
        news_index = ensure_child(
            home, NewsIndexPage, "news", title=text["news"], show_in_menus=True, locale=home.locale
        )
        for i, (day, title_zh, title_en, summary_zh, summary_en) in enumerate(NEWS):
            ensure_child(
                news_index,
                NewsPage,
                f"news-{i + 1}",
                title=title_zh if code == "zh-hans" else title_en,
                summary=summary_zh if code == "zh-hans" else summary_en,
                date=day,
                locale=home.locale,
            )
        Footer.objects.update_or_create(
            locale=home.locale,
            translation_key=_footer_key(),
            defaults={
                "about": text["footer_about"],
                "contact": text["footer_contact"],
                "filing_number": "粤ICP备00000000号" if code == "zh-hans" else "",
            },
        )
    ctx.log("site: home pages, content pages, news and footers in zh-hans and en")


def _footer_key():
    return uuid.UUID("6f1f3f2e-2026-4c0a-9d6e-000000000001")
