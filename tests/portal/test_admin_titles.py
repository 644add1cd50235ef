"""Our admin pages name themselves in Wagtail's slim header (the breadcrumbs), not just
"Home" (首页): the header hides the <h1> visually."""

import re

import pytest
from django.contrib.auth.models import Group

from organizations import roles
from tests.factories.organizations import UserFactory

pytestmark = pytest.mark.django_db


def _breadcrumbs(html: str) -> str:
    match = re.search(r"data-w-breadcrumbs.*?</ol>", html, re.S)
    assert match, "no breadcrumbs in the admin header"
    return re.sub(r"<[^>]+>", " ", match.group(0).split(">", 1)[1])


@pytest.mark.parametrize(
    "path,title", [("/admin/review/calls/", "评审进度"), ("/admin/reports/", "PDF 报告")]
)
def test_admin_page_title_is_the_last_breadcrumb(client, path, title):
    officer = UserFactory(is_staff=True)
    officer.groups.add(Group.objects.get(name=roles.PROGRAMME_OFFICER))
    client.force_login(officer)

    response = client.get(path)

    assert response.status_code == 200
    crumbs = " ".join(_breadcrumbs(response.content.decode()).split())
    assert crumbs.endswith(title)
