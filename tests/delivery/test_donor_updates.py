"""Donors' /me/ page lists the accepted progress reports of the projects they gave to
(issue #16), latest first, in a constant number of queries."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from funding.enums import DonationStatus
from projects.delivery.enums import DeliveryStage, ReportStatus
from projects.delivery.models import ProgressReport
from projects.delivery.selectors import updates_for_donor
from tests.factories.delivery import make_delivery
from tests.factories.funding import DonationFactory
from tests.factories.organizations import UserFactory

pytestmark = pytest.mark.django_db


def _report(delivery, narrative, *, status=ReportStatus.ACCEPTED, days_ago=0):
    now = timezone.now() - timedelta(days=days_ago)
    return ProgressReport.objects.create(
        delivery=delivery,
        period_end=date(2026, 6, 30),
        narrative=narrative,
        beneficiaries_reached=120,
        status=status,
        submitted_by=UserFactory(),
        submitted_at=now,
        decided_at=now if status == ReportStatus.ACCEPTED else None,
    )


def _active():
    return make_delivery(stage=DeliveryStage.IN_PROGRESS)


def _gift(donor, delivery, status=DonationStatus.SUCCEEDED, **fields):
    return DonationFactory(project=delivery.project, user=donor, status=status, **fields)


def test_me_lists_accepted_updates_of_projects_given_to_latest_first(client, site_pages):
    donor = UserFactory()
    given, other_given, not_given, failed = _active(), _active(), _active(), _active()
    _gift(donor, given)
    _gift(donor, other_given)
    _gift(donor, failed, status=DonationStatus.FAILED)
    older = _report(given, "第一季度：开展了12场活动", days_ago=90)
    newer = _report(given, "第二季度：服务老人400人次", days_ago=1)
    _report(given, "尚未审核的报告", status=ReportStatus.SUBMITTED)
    other = _report(other_given, "社区花园建成", days_ago=30)
    _report(not_given, "别人的项目")
    _report(failed, "失败捐赠的项目")

    assert updates_for_donor(donor) == [newer, other, older]
    client.force_login(donor)
    html = client.get("/me/").content.decode()
    assert "您捐助项目的进展" in html
    assert html.index("第二季度") < html.index("社区花园建成") < html.index("第一季度")
    for hidden in ("尚未审核的报告", "别人的项目", "失败捐赠的项目"):
        assert hidden not in html
    assert "Progress of projects you gave to" in client.get("/en/me/").content.decode()


def test_guest_gifts_count_once_their_address_is_verified(client, site_pages):
    donor = UserFactory(email="donor@example.org")  # verified by the factory
    delivery = _active()
    DonationFactory(project=delivery.project, donor_email="DONOR@example.org", status="succeeded")
    report = _report(delivery, "进展")
    unverified = _active()
    DonationFactory(project=unverified.project, donor_email="else@example.org", status="succeeded")
    _report(unverified, "未验证地址的项目")
    assert updates_for_donor(donor) == [report]


def test_nobody_who_gave_sees_no_section(client, site_pages):
    _report(_active(), "进展")
    client.force_login(UserFactory())
    assert "您捐助项目的进展" not in client.get("/me/").content.decode()


def test_query_count_does_not_grow_with_gifts_or_reports(django_assert_num_queries):
    donor = UserFactory()
    first = _active()
    _gift(donor, first)
    _report(first, "一")
    fresh = type(donor).objects.get(pk=donor.pk)  # nothing cached on the instance
    with django_assert_num_queries(2):
        assert len(updates_for_donor(fresh)) == 1
    for _ in range(4):
        delivery = _active()
        _gift(donor, delivery)
        _gift(donor, delivery)
        _report(delivery, "二")
        _report(delivery, "三")
    fresh = type(donor).objects.get(pk=donor.pk)
    with django_assert_num_queries(2):
        assert len(updates_for_donor(fresh)) == 9
    assert len(updates_for_donor(donor, limit=3)) == 3
