"""Project, call and need pages carry share metadata and a server-rendered QR code of
their absolute address (#19)."""

import pytest
from django.conf import settings

from portal.core.qrcode import qr_svg
from tests.factories.projects import CommunityNeedFactory, ProjectFactory, make_call


def _assert_shareable(html: str, title: str, path: str):
    url = f"{settings.SITE_URL}{path}"
    assert f'<meta property="og:title" content="{title}">' in html
    assert f'<meta property="og:url" content="{url}">' in html
    assert f'<link rel="canonical" href="{url}">' in html
    assert f'<meta property="og:image" content="{settings.SITE_URL}/static/' in html
    assert f'value="{url}"' in html
    assert str(qr_svg(url, scale=4)) in html


@pytest.mark.django_db
def test_project_page_is_shareable(client, settings):
    settings.SITE_URL = "https://gongyi.example.cn"
    project = ProjectFactory(title="长者饭堂暖心计划", summary="为独居老人提供午餐。")

    html = client.get(project.get_absolute_url()).content.decode()

    _assert_shareable(html, "长者饭堂暖心计划", project.get_absolute_url())
    assert '<meta property="og:description" content="为独居老人提供午餐。">' in html


@pytest.mark.django_db
def test_call_page_is_shareable(client, site_pages, settings):
    settings.SITE_URL = "https://gongyi.example.cn"
    call = make_call(title="2026年为老服务项目征集", summary="面向全市社区社会组织。")

    html = client.get(call.url).content.decode()

    _assert_shareable(html, "2026年为老服务项目征集", call.url)
    assert '<meta property="og:description" content="面向全市社区社会组织。">' in html


@pytest.mark.django_db
def test_published_need_is_shareable_and_a_pending_one_is_not(client, settings):
    settings.SITE_URL = "https://gongyi.example.cn"
    need = CommunityNeedFactory(title="小区缺少助餐点")
    pending = CommunityNeedFactory(title="待审核的需求", status="pending")
    client.force_login(pending.author)

    published_html = client.get(need.get_absolute_url()).content.decode()
    pending_html = client.get(pending.get_absolute_url()).content.decode()

    _assert_shareable(published_html, "小区缺少助餐点", need.get_absolute_url())
    assert "<h1>待审核的需求</h1>" in pending_html
    assert "og:title" not in pending_html
    assert "<svg" not in pending_html


@pytest.mark.django_db
def test_share_metadata_escapes_titles(client, settings):
    project = ProjectFactory(title='"><script>alert(1)</script>')

    html = client.get(project.get_absolute_url()).content.decode()

    assert '<meta property="og:title" content="&quot;&gt;&lt;script&gt;' in html
    assert "<script>alert(1)" not in html
