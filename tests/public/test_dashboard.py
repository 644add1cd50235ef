"""Staff dashboard panels: figures, permissions and constant query counts."""

import pytest
from django.test import RequestFactory

from funding.enums import DonationStatus
from organizations.roles import ADMINISTRATOR, FINANCE_OFFICER
from portal.dashboard import (
    FinancePanel,
    ProgrammePanel,
    add_dashboard_panels,
    finance_figures,
    programme_figures,
)
from projects.enums import ApplicationStatus
from projects.review.models import Assignment
from tests.factories.funding import DonationFactory
from tests.factories.organizations import UserFactory
from tests.factories.projects import ProjectFactory, make_call
from tests.factories.review import ApplicationFactory, make_officer, make_reviewer, with_role

pytestmark = pytest.mark.django_db


def _panels(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    panels = []
    add_dashboard_panels(request, panels)
    return request, panels


def test_finance_figures_from_the_ledger_this_year(give):
    project = ProjectFactory()
    give(project, 12_300)
    give(project, 4_500)
    DonationFactory(project=project, amount=99_900, status=DonationStatus.AWAITING_APPROVAL)

    figures = finance_figures()

    assert (figures.raised, figures.matched, figures.awaiting_approval) == (16_800, 0, 1)
    assert sum(r for _m, r, _x in figures.by_month) == 16_800


def test_programme_figures_count_screening_and_open_reviews(site_pages):
    call = make_call()
    ApplicationFactory(call=call, status=ApplicationStatus.SUBMITTED)
    ApplicationFactory(call=call, status=ApplicationStatus.RESUBMITTED)
    reviewed = ApplicationFactory(call=call, status=ApplicationStatus.ELIGIBLE)
    Assignment.objects.create(application=reviewed, reviewer=make_reviewer())

    figures = programme_figures()

    assert figures.open_calls == 1
    assert figures.awaiting_screening == 2
    assert figures.reviews_outstanding == 1
    assert dict(figures.applications_by_status)[str(ApplicationStatus.ELIGIBLE.label)] == 1


def test_reviewer_sees_no_finance_and_only_own_reviews(site_pages):
    reviewer = make_reviewer()
    other = make_reviewer()
    application = ApplicationFactory(call=make_call())
    Assignment.objects.create(application=application, reviewer=other)

    request, panels = _panels(reviewer)

    assert [type(p) for p in panels] == [ProgrammePanel]
    context = panels[0].get_context()
    assert context["full"] is False and context["chart"] == ""
    assert "portal-finance-heading" not in panels[0].render_html()
    assert context["figures"].reviews_outstanding == 0


def test_finance_officer_gets_finance_panel_only():
    officer = with_role(UserFactory(), FINANCE_OFFICER)

    _request, panels = _panels(officer)

    assert [type(p) for p in panels] == [FinancePanel]
    html = panels[0].render_html()
    assert "<svg" in html
    # months are named on the axis (一月…), not bare numbers
    assert "一月" in html


def test_administrator_gets_both_and_member_gets_none():
    admin = with_role(UserFactory(), ADMINISTRATOR)
    member = UserFactory()

    assert [type(p) for p in _panels(admin)[1]] == [ProgrammePanel, FinancePanel]
    assert _panels(member)[1] == []


@pytest.mark.parametrize("n", [1, 3])
def test_dashboard_query_count_is_constant(site_pages, give, django_assert_num_queries, n):
    officer = make_officer()
    admin = with_role(UserFactory(), ADMINISTRATOR)
    call = make_call()
    for _ in range(n):
        give(ProjectFactory(), 10_000)
        DonationFactory(project=ProjectFactory(), status=DonationStatus.AWAITING_APPROVAL)
        application = ApplicationFactory(call=call, status=ApplicationStatus.SUBMITTED)
        Assignment.objects.create(application=application, reviewer=make_reviewer())
    list(admin.groups.values_list("name", flat=True))
    _request, panels = _panels(admin)
    assert officer  # a second staff member does not change the figures' cost

    with django_assert_num_queries(6):
        for panel in panels:
            panel.render_html()


def test_admin_home_renders_the_panels(client, site_pages):
    admin = with_role(UserFactory(), ADMINISTRATOR)
    client.force_login(admin)

    response = client.get("/admin/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "portal-programme-heading" in body and "portal-finance-heading" in body
