"""Bilingual content (#19): projects, organizations and needs carry optional English
versions, shown on /en/ (else the Chinese original, marked lang="zh-Hans" and labelled);
organizations edit theirs; the English fields are searched and exposed by the API."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from wagtail.models import Locale

from organizations.forms import OrganizationForm
from organizations.models import Organization
from portal.core.search import matching
from projects.enums import NeedStatus
from projects.models import Project
from tests.factories.organizations import (
    MembershipFactory,
    OrganizationFactory,
    RegionFactory,
    UserFactory,
)
from tests.factories.projects import CommunityNeedFactory, ProjectFactory, make_call

pytestmark = pytest.mark.django_db

LABELLED = '<span lang="zh-Hans">{}</span> <small class="zh-original">Chinese original</small>'


def test_english_project_page_shows_the_english_version(client, site_pages):
    organization = OrganizationFactory(name="夕阳红为老服务中心", name_en="Sunset Glow Centre")
    project = ProjectFactory(
        organization=organization,
        title="长者饭堂",
        title_en="Seniors' canteen",
        summary="午餐",
        summary_en="Lunch for older people.",
    )

    html = client.get(f"/en/projects/{project.slug}/").content.decode()

    assert "<h1>Seniors&#x27; canteen</h1>" in html
    assert "Lunch for older people." in html
    assert ">Sunset Glow Centre</a>" in html
    assert "长者饭堂" not in html.split("</title>", 1)[1]
    assert "Chinese original" not in html


def test_english_pages_label_the_chinese_original_when_no_english_was_given(client, site_pages):
    organization = OrganizationFactory(name="彩虹桥中心")
    project = ProjectFactory(organization=organization, title="四点半课堂", summary="课后陪伴")
    need = CommunityNeedFactory(title="路灯坏了", description="晚上很黑")

    project_html = client.get(f"/en/projects/{project.slug}/").content.decode()
    directory = client.get("/en/projects/").content.decode()
    need_html = client.get(f"/en/needs/{need.pk}/").content.decode()
    org_html = client.get(f"/en/organizations/{organization.slug}/").content.decode()

    assert f"<h1>{LABELLED.format('四点半课堂')}</h1>" in project_html
    assert LABELLED.format("课后陪伴") in project_html
    assert LABELLED.format("四点半课堂") in directory
    assert LABELLED.format("彩虹桥中心") in directory
    assert f"<h1>{LABELLED.format('路灯坏了')}</h1>" in need_html
    assert LABELLED.format("晚上很黑") in need_html
    assert LABELLED.format("彩虹桥中心") in org_html


def test_chinese_pages_show_the_chinese_text_without_a_label(client, site_pages):
    project = ProjectFactory(title="四点半课堂", title_en="After-school club")

    html = client.get(f"/projects/{project.slug}/").content.decode()

    assert "<h1>四点半课堂</h1>" in html
    assert "After-school club" not in html
    assert "中文原文" not in html


def test_chinese_original_label_is_translated():
    with translation.override("zh-hans"):
        from django.utils.translation import gettext

        assert gettext("Chinese original") == "中文原文"


def test_english_filter_names_calls_by_their_english_translation(client, site_pages):
    call = make_call(title="2026年为老服务征集")
    en_call = call.copy_for_translation(Locale.objects.get(language_code="en"), copy_parents=True)
    en_call.title = "2026 elder care call"
    en_call.save_revision().publish()
    ProjectFactory(call=call)

    english = client.get("/en/projects/").content.decode()
    chinese = client.get("/projects/").content.decode()

    assert f'<option value="{call.pk}">2026 elder care call</option>' in english
    assert "2026年为老服务征集" not in english
    assert f'<option value="{call.pk}">2026年为老服务征集</option>' in chinese


def test_organization_form_refuses_a_too_long_english_name_with_a_translated_error():
    street = RegionFactory(name="园岭街道")
    data = {
        "name": "测试机构",
        "name_en": "x" * 201,
        "org_type": "community",
        "registration_kind": "none",
        "region": street.pk,
        "contact_name": "张敏",
        "contact_mobile": "13800138000",
        "staff_count": 0,
        "volunteer_count": 0,
    }

    with translation.override("zh-hans"):
        form = OrganizationForm(data=data)
        assert not form.is_valid()
        assert form.errors["name_en"] == ["英文内容最多 200 个字符（现有 201 个）。"]
    with translation.override("en"):
        form = OrganizationForm(data={**data, "name_en": "Sunset Glow", "mission_en": ""})
        assert form.is_valid(), form.errors


def test_organization_editor_gives_a_project_its_english_version(client, site_pages):
    member = MembershipFactory(role="editor")
    project = ProjectFactory(organization=member.organization, title="长者饭堂")
    client.force_login(member.user)

    page = client.get(f"/en/projects/{project.slug}/").content.decode()
    response = client.post(
        f"/en/projects/{project.slug}/english/",
        {"title_en": "  Seniors' canteen ", "summary_en": "Lunch."},
    )

    assert f'href="/en/projects/{project.slug}/english/"' in page
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.title_en, project.summary_en) == ("Seniors' canteen", "Lunch.")


def test_english_version_form_refuses_too_long_text_and_strangers(client, site_pages):
    member = MembershipFactory(role="editor")
    project = ProjectFactory(organization=member.organization)
    stranger = UserFactory()

    client.force_login(member.user)
    too_long = client.post(
        f"/projects/{project.slug}/english/", {"title_en": "t" * 201, "summary_en": ""}
    )
    client.force_login(stranger)
    refused = client.post(f"/projects/{project.slug}/english/", {"title_en": "x"})

    assert too_long.status_code == 200
    assert "英文内容最多 200 个字符（现有 201 个）。" in too_long.content.decode()
    assert refused.status_code == 403
    project.refresh_from_db()
    assert project.title_en == ""


def test_english_words_find_projects_organizations_and_needs(site_pages):
    project = ProjectFactory(title="长者饭堂", title_en="Seniors canteen")
    organization = OrganizationFactory(name="夕阳红", name_en="Sunset Glow", status="verified")
    need = CommunityNeedFactory(title="路灯", description_en="Broken street lamps")

    projects = set(matching(Project.objects.all(), "canteen"))
    organizations = set(matching(Organization.objects.all(), "sunset"))
    needs = set(matching(type(need).objects.all(), "lamps"))

    assert projects == {project}
    assert organizations == {organization}
    assert needs == {need}


def test_api_exposes_the_english_fields(client, site_pages):
    organization = OrganizationFactory(name="夕阳红", name_en="Sunset Glow")
    ProjectFactory(organization=organization, title="长者饭堂", title_en="Seniors' canteen")

    project = client.get("/api/v1/projects").json()["results"][0]
    org = client.get(f"/api/v1/organizations/{organization.pk}").json()

    assert (project["title_en"], project["summary_en"]) == ("Seniors' canteen", "")
    assert project["organization"]["name_en"] == "Sunset Glow"
    assert (org["name_en"], org["mission_en"]) == ("Sunset Glow", "")


def _make_cards(start: int, stop: int) -> None:
    for i in range(start, stop):
        organization = OrganizationFactory(name=f"机构{i}", name_en=f"Org {i}" if i else "")
        ProjectFactory(organization=organization, title=f"项目{i}", title_en="")
        CommunityNeedFactory(title=f"需求{i}", status=NeedStatus.PUBLISHED)


DIRECTORIES = ("/en/projects/", "/en/organizations/", "/en/needs/")


def _query_counts(client) -> dict[str, int]:
    counts = {}
    for path in DIRECTORIES:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path, {"page": 1})
        assert response.status_code == 200
        counts[path] = len(queries)
    return counts


def test_english_directories_make_no_query_per_card(
    client, site_pages, django_assert_max_num_queries
):
    _make_cards(0, 1)
    for path in DIRECTORIES:
        client.get(path)  # warm Wagtail's site cache and the directory's list of years
    one = _query_counts(client)
    _make_cards(1, 3)
    for path in DIRECTORIES:
        client.get(path)  # new data: the years are read again, once

    three = _query_counts(client)

    assert three == one
    with django_assert_max_num_queries(16):
        client.get("/en/projects/", {"page": 1})


def test_english_site_search_shows_english_versions_and_marks_chinese_hits(client, site_pages):
    ProjectFactory(title="长者饭堂", title_en="Seniors canteen", summary="午餐")
    ProjectFactory(title="长者探访", summary="canteen visits")

    html = client.get("/en/search/", {"q": "canteen"}).content.decode()

    assert "<mark>canteen</mark>" in html
    assert ">Seniors <mark>canteen</mark></a>" in html
    assert '" lang="zh-Hans">长者探访</a>' in html


def test_resident_may_give_a_need_an_english_version_within_the_limit(client, site_pages):
    from django.urls import reverse

    from projects.models import CommunityNeed

    client.force_login(UserFactory())
    region = RegionFactory()
    data = {
        "title": "路灯坏了",
        "description": "晚上很黑",
        "region": region.pk,
        "people_affected": "30",
        "title_en": " Broken street lamps ",
    }

    too_long = client.post(reverse("projects:need_create"), {**data, "description_en": "d" * 2001})
    saved = client.post(reverse("projects:need_create"), {**data, "description_en": "Dark."})

    assert "英文内容最多 2000 个字符（现有 2001 个）。" in too_long.content.decode()
    assert saved.status_code == 302
    need = CommunityNeed.objects.get()
    assert (need.title_en, need.description_en) == ("Broken street lamps", "Dark.")
