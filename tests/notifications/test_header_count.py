"""The site header tells a signed-in person how many notifications they have not read,
and links to the one notification centre (the dashboard links there too)."""

import re

import pytest

from portal.core.notifications.services import notify
from tests.factories.organizations import UserFactory

pytestmark = pytest.mark.django_db


def header(html: str) -> str:
    return html[html.index('<header class="site-header">') : html.index("</header>")]


def test_header_counts_unread_notifications_and_links_to_them(client, site_pages):
    user = UserFactory()
    notify(users=[user], title="申请已提交", email=False)
    notify(users=[user], title="评审结果已公示", email=False)
    client.force_login(user)

    html = header(client.get("/").content.decode())

    link = re.search(r'<a href="/notifications/">(.*?)</a>', html).group(1)
    assert '<span class="count-badge">2</span>' in link
    assert "未读" in link


def test_header_shows_no_count_once_everything_is_read(client, site_pages):
    user = UserFactory()
    notify(users=[user], title="申请已提交", email=False)
    client.force_login(user)
    client.post("/notifications/")

    html = header(client.get("/").content.decode())

    assert '<a href="/notifications/">通知</a>' in html
    assert "count-badge" not in html


def test_anonymous_visitors_see_no_notification_link(client, site_pages):
    html = header(client.get("/").content.decode())

    assert "/notifications/" not in html


def test_dashboard_separates_verification_history_from_notifications(client, site_pages):
    client.force_login(UserFactory())

    html = client.get("/me/").content.decode()

    assert "认证历史" in html
    assert '<a href="/notifications/">查看全部通知</a>' in html
