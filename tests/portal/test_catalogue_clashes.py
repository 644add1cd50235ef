"""Our Chinese catalogues must not contradict each other.

Django merges every app's catalogue into one; for the same (msgctxt, msgid) the app that
comes first in INSTALLED_APPS wins (portal's catalogue is also in LOCALE_PATHS, so it wins
over all). A second app's different translation of the same English never shows: either the
wording is the same meaning and must be the same Chinese everywhere, or the meaning differs
and the call site needs a context (``pgettext_lazy("match pool", "Closed")``,
``{% translate "Apply" context "call" %}``), which makes it a different entry.

The last tests check the merged result at run time and on a few pages where a clash showed
the wrong word (project status, service category, offline donation review).
"""

import re
from collections import defaultdict
from pathlib import Path

import polib
import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from django.utils.translation import pgettext

ROOT = Path(__file__).resolve().parents[2]

# (msgctxt, msgid) -> why two catalogues may translate it differently. Only for pairs that
# are genuinely the same meaning; prefer making the wording identical.
ALLOWED_DIFFERENCES: dict[tuple[str | None, str], str] = {}


def catalogues() -> list[Path]:
    """Our zh_Hans catalogues in Django's precedence order (the first one wins)."""
    paths = [Path(p) / "zh_Hans/LC_MESSAGES/django.po" for p in settings.LOCALE_PATHS]
    for config in apps.get_app_configs():
        path = Path(config.path)
        if path.is_relative_to(ROOT) and not path.is_relative_to(ROOT / ".venv"):
            paths.append(path / "locale/zh_Hans/LC_MESSAGES/django.po")
    unique = []
    for path in paths:
        if path.exists() and path not in unique:
            unique.append(path)
    return unique


def name(path: Path) -> str:
    return str(path.relative_to(ROOT)).removesuffix("/locale/zh_Hans/LC_MESSAGES/django.po")


def translation_of(entry: polib.POEntry):
    return entry.msgstr if not entry.msgid_plural else tuple(sorted(entry.msgstr_plural.items()))


def test_every_catalogue_of_ours_is_checked():
    found = {name(p) for p in catalogues()}
    on_disk = {
        name(p)
        for app in ("portal", "organizations", "projects", "funding")
        for p in (ROOT / app).rglob("locale/zh_Hans/LC_MESSAGES/django.po")
    }

    assert on_disk == found
    assert {
        "portal",
        "organizations",
        "projects",
        "projects/review",
        "funding",
        "projects/delivery",
        "projects/evaluation",
    } <= found


def test_same_msgid_is_translated_the_same_in_every_catalogue():
    seen = defaultdict(dict)  # (msgctxt, msgid, plural) -> {catalogue: translation}
    for path in catalogues():
        for entry in polib.pofile(str(path)):
            if not entry.obsolete:
                key = (entry.msgctxt, entry.msgid, entry.msgid_plural)
                seen[key][name(path)] = translation_of(entry)

    clashes = []
    for (msgctxt, msgid, _plural), by_catalogue in seen.items():
        if len(set(by_catalogue.values())) > 1 and (msgctxt, msgid) not in ALLOWED_DIFFERENCES:
            winner = next(iter(by_catalogue))
            where = " | ".join(f"{cat}={text}" for cat, text in by_catalogue.items())
            label = f"[{msgctxt}] {msgid!r}" if msgctxt else repr(msgid)
            clashes.append(f"{label}: {where} (shown everywhere: {winner})")
    stale = [
        key
        for key in ALLOWED_DIFFERENCES
        if not any(k[:2] == key and len(set(v.values())) > 1 for k, v in seen.items())
    ]

    assert clashes == [], "\n".join(
        [
            "Same English, different Chinese; give the call sites a context or use one wording:",
            *clashes,
        ]
    )
    assert stale == []


def test_every_entry_is_translated_and_not_fuzzy():
    problems = []
    for path in catalogues():
        for entry in polib.pofile(str(path)):
            if entry.obsolete:
                continue
            if "fuzzy" in entry.flags:
                problems.append(f"{name(path)}: fuzzy {entry.msgid!r}")
            elif not entry.translated():
                problems.append(f"{name(path)}: empty {entry.msgid!r}")

    assert problems == []


def test_compiled_catalogues_match_their_sources():
    """The .mo files are built (``make`` runs compilemessages); a stale one hides a fix."""
    stale = []
    for path in catalogues():
        mo_path = path.with_suffix(".mo")
        if not mo_path.exists():
            stale.append(f"{name(path)}: no django.mo")
            continue
        compiled = {(e.msgctxt, e.msgid): translation_of(e) for e in polib.mofile(str(mo_path))}
        for entry in polib.pofile(str(path)):
            if entry.translated() and "fuzzy" not in entry.flags and not entry.obsolete:
                if compiled.get((entry.msgctxt, entry.msgid)) != translation_of(entry):
                    stale.append(f"{name(path)}: {entry.msgid!r}")

    assert stale == [], "run: python manage.py compilemessages --ignore=.venv"


@pytest.mark.parametrize(
    ("context", "msgid", "chinese"),
    [
        ("service category", "Service area", "服务领域"),  # organization directory filter
        (None, "Service area", "服务区域"),  # a project's sub-district or community
        ("offline donation", "Review", "复核"),  # finance checks an offline donation
        (None, "Review", "评审"),  # experts score an application
        ("indicator kind", "Outcome", "成效指标"),
        ("objection", "Outcome", "结论"),
        ("webhook event", "Outcome", "处理结果"),
        ("match pool", "Closed", "已关闭"),
        (None, "Closed", "已截止"),  # a call
        ("score", "Total", "总分"),
        (None, "Total", "合计"),
        ("evaluation", "Rubric", "指标体系"),
        (None, "Rubric", "评分细则"),
        ("budget category", "Activities", "活动费"),
        ("call", "Apply", "申报"),
        (None, "Apply", "申请"),  # incubation cohort
        ("community need", "Declined", "未采纳"),
        (None, "Declined", "未录取"),  # incubation residency
        ("payment", "Received at", "到账时间"),
        ("funding decision", "Decision", "立项结果"),
        (None, "Completed", "已完成"),
        # Our apps come before Wagtail's: a plain msgid of ours also relabels Wagtail's admin
        # (page workflow, documents library), so words with another meaning take a context.
        ("project status", "Approved", "已立项"),
        (None, "Approved", "已批准"),  # Wagtail workflow
        ("project status", "In progress", "实施中"),
        (None, "In progress", "进行中"),  # Wagtail workflow
        ("offline donation", "Approve", "复核通过"),
        (None, "Approve", "批准"),  # Wagtail workflow
        ("organization", "Documents", "材料"),
        (None, "Documents", "文档"),  # Wagtail documents library
        (None, "Dashboard", "控制面板"),  # Wagtail admin home
    ],
)
def test_merged_catalogue_keeps_each_meaning(context, msgid, chinese):
    with translation.override("zh-hans"):
        text = pgettext(context, msgid) if context else translation.gettext(msgid)

    assert text == chinese


def test_choice_labels_in_chinese():
    from projects.enums import BudgetCategory, IndicatorKind, NeedStatus, ProjectStatus

    with translation.override("zh-hans"):
        labels = [
            str(c.label)
            for c in (
                ProjectStatus.COMPLETED,
                IndicatorKind.OUTCOME,
                BudgetCategory.ACTIVITIES,
                NeedStatus.DECLINED,
            )
        ]

    assert labels == ["已完成", "成效指标", "活动费", "未采纳"]


@pytest.mark.django_db
def test_project_directory_status_filter_says_completed(client):
    from projects.enums import ProjectStatus
    from tests.factories.projects import ProjectFactory

    ProjectFactory(status=ProjectStatus.COMPLETED)

    html = client.get("/projects/").content.decode()

    assert '<option value="completed">已完成</option>' in html
    assert "完成日期" not in html


@pytest.mark.django_db
def test_organization_directory_service_area_is_a_service_category(client):
    html = client.get("/organizations/").content.decode()

    assert '<label for="id_service_area">服务领域</label>' in html


@pytest.mark.django_db
def test_donation_list_review_button_is_finance_review(client):
    from funding.enums import OfflineMethod
    from funding.services.donations import record_offline_donation
    from tests.factories.funding import MatchedProjectFactory, MatchingRuleFactory
    from tests.factories.organizations import UserFactory

    MatchingRuleFactory()
    officer = UserFactory(username="fin-i18n", is_superuser=True, is_staff=True)
    donation = record_offline_donation(
        project=MatchedProjectFactory(),
        amount=20_000,
        method=OfflineMethod.BANK_TRANSFER,
        recorded_by=officer,
        donor_name="线下捐赠人",
        reference="BANK-I18N",
        evidence=SimpleUploadedFile(
            "slip.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf"
        ),
    )
    client.force_login(officer)

    html = client.get("/admin/funding_donations/").content.decode()

    def button(url):
        found = re.search(
            rf'<a href="{url}" class="" >\s*<svg.*?</svg>\s*(\S+)\s*</a>', html, re.DOTALL
        )
        return found and found.group(1)

    assert button(f"/admin/funding_donations/review/{donation.pk}/") == "复核"
    assert button(f"/admin/funding_donations/evidence/{donation.pk}/") == "凭证"


@pytest.mark.django_db
def test_staff_dashboard_panels_have_no_english_in_chinese(client, site_pages):
    """Wagtail admin home in zh-hans: our panels (programme, finance, organizations waiting
    for verification), chart titles and legends included, carry no English words."""
    from funding.enums import DonationStatus
    from organizations.roles import ADMINISTRATOR
    from projects.enums import ApplicationStatus
    from tests.factories.funding import DonationFactory
    from tests.factories.organizations import OrganizationFactory, UserFactory
    from tests.factories.projects import ProjectFactory, make_call
    from tests.factories.review import ApplicationFactory, with_role

    call = make_call()
    ApplicationFactory(call=call, status=ApplicationStatus.SUBMITTED)
    DonationFactory(
        project=ProjectFactory(), amount=99_900, status=DonationStatus.AWAITING_APPROVAL
    )
    OrganizationFactory(status="submitted")
    client.force_login(with_role(UserFactory(), ADMINISTRATOR))

    html = client.get("/admin/").content.decode()

    panels = re.findall(
        r'(?s)<section class="w-panel[^"]*" id="[\w-]+" aria-labelledby="([\w-]+)"[^>]*>'
        r"(.*?)</section>",
        html,
    )
    ids = [panel_id for panel_id, _body in panels]
    assert {
        "portal-programme-heading",
        "portal-finance-heading",
        "pending-verification-heading",
    } <= set(ids)
    english = {}
    for panel_id, body in panels:
        text = re.sub(r"(?s)<style.*?</style>|<script.*?</script>|<[^>]+>", " ", body)
        if words := re.findall(r"[A-Za-z]{3,}", text):
            english[panel_id] = words
    assert english == {}
    assert "今年申报按状态统计" in html and "今年每月募集与配捐金额（元）" in html
