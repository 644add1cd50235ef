"""The staff dashboard panels are Wagtail components rendered as Wagtail's own dashboard
panels (so their headings line up with Wagtail's), with their stylesheet as media."""

import re

import pytest
from django.test import RequestFactory
from wagtail.admin.ui.components import Component

from organizations.roles import ADMINISTRATOR
from portal.dashboard import DASHBOARD_CSS, FinancePanel, ProgrammePanel, add_dashboard_panels
from tests.factories.organizations import UserFactory
from tests.factories.review import with_role

pytestmark = pytest.mark.django_db


def _panels(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    panels = []
    add_dashboard_panels(request, panels)
    return panels


def test_panels_are_wagtail_components_with_their_stylesheet(site_pages):
    panels = _panels(with_role(UserFactory(), ADMINISTRATOR))

    assert [type(p) for p in panels] == [ProgrammePanel, FinancePanel]
    for panel in panels:
        assert isinstance(panel, Component)
        assert DASHBOARD_CSS in str(panel.media)
        html = panel.render_html()
        # Wagtail's dashboard panel markup: the same header (toggle, heading) and class
        # as Wagtail's own home-page panels, which is what aligns the headings.
        section = re.search(r'<section class="([^"]+)"', html).group(1).split()
        assert {"w-panel", "w-panel--dashboard"} <= set(section)
        assert 'class="w-panel__toggle"' in html
        assert re.search(r'<h2 class="w-panel__heading\s*"[^>]* id="portal-\w+-heading"', html)


def test_admin_home_loads_the_dashboard_stylesheet(client, site_pages):
    client.force_login(with_role(UserFactory(), ADMINISTRATOR))

    body = client.get("/admin/").content.decode()

    assert body.count("portal/css/dashboard.css") == 1
    assert body.count("w-panel--dashboard portal-panel") == 3  # ours and organizations'
