"""No gift, match or tranche for a project that is closed, terminated or whose funding
agreement is not signed (issue #18): one test per money path, through the screens people
use, with finance accounts built the way seed_demo builds them (role group + is_staff)."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from funding.enums import DonationSource, DonationStatus
from funding.errors import ProjectClosedToMoney
from funding.models import Disbursement, Donation, ImportBatch, MatchReservation
from funding.services.donations import approve_offline_donation, record_offline_donation
from funding.services.imports import approve_import, commit_import, preview_import
from funding.services.matching import reserve_match
from projects.delivery.services import advance
from projects.enums import ProjectStatus
from tests.factories.delivery import make_delivery
from tests.factories.funding import (
    DonationFactory,
    MatchedProjectFactory,
    MatchingRuleFactory,
    funded_pool,
)
from tests.factories.organizations import UserFactory

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def staff_in(group_name, username):
    """A role account as seed_demo makes it: in the role's group, ``is_staff`` (opens the
    Wagtail admin, grants no data)."""
    from django.contrib.auth.models import Group, Permission

    group = Group.objects.get_or_create(name=group_name)[0]
    group.permissions.add(*Permission.objects.filter(codename="access_admin"))
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(group)
    return user


@pytest.fixture
def finance():
    from organizations.roles import FINANCE_OFFICER

    return staff_in(FINANCE_OFFICER, "fin-g1"), staff_in(FINANCE_OFFICER, "fin-g2")


@pytest.fixture
def programme():
    from organizations.roles import PROGRAMME_OFFICER

    return staff_in(PROGRAMME_OFFICER, "po-g")


def terminated_project(programme):
    delivery = make_delivery(stage="in_progress", agreement_signed_on=date(2026, 1, 10))
    advance(delivery, "terminated", by=programme, note="机构解散")
    delivery.project.refresh_from_db()
    return delivery.project


def test_project_accepts_money_follows_the_delivery_stage(programme):
    pending = make_delivery().project
    running = make_delivery(stage="in_progress", agreement_signed_on=date(2026, 1, 10)).project
    closed = make_delivery(stage="closed", agreement_signed_on=date(2026, 1, 10)).project
    ended = terminated_project(programme)

    assert (pending.status, pending.accepts_money) == (ProjectStatus.APPROVED, False)
    assert (running.status, running.accepts_money) == (ProjectStatus.IN_PROGRESS, True)
    assert (closed.status, closed.accepts_money) == (ProjectStatus.COMPLETED, False)
    assert (ended.status, ended.accepts_money) == (ProjectStatus.TERMINATED, False)
    assert pending.money_refusal == "资助协议尚未签署"
    assert closed.money_refusal == "项目已结项"
    assert ended.money_refusal == "项目已终止"
    assert running.money_refusal == ""


# --- online checkout -----------------------------------------------------------------------


def test_terminated_project_page_has_no_donate_button_and_says_why(client, programme):
    project = terminated_project(programme)

    html = client.get(project.get_absolute_url()).content.decode()

    assert "我要捐赠" not in html
    assert f'href="/donate/{project.slug}/"' not in html
    assert "该项目目前不接受捐赠：项目已终止。" in html


def test_open_project_page_keeps_its_donate_button(client):
    project = make_delivery(stage="in_progress", agreement_signed_on=date(2026, 1, 10)).project

    html = client.get(project.get_absolute_url()).content.decode()

    assert "我要捐赠" in html


def test_online_checkout_refused_for_terminated_project(client, settings, programme):
    settings.DEBUG = True
    settings.FUNDING_TEST_PAYMENTS = True
    project = terminated_project(programme)
    url = f"/donate/{project.slug}/"

    page = client.get(url).content.decode()
    response = client.post(
        url, {"preset": "10000", "donor_email": "d@example.org", "anonymity": "none"}
    )

    assert f"“{project.title}”目前不接受捐赠：项目已终止。" in page
    assert 'name="donor_email"' not in page
    assert response.status_code == 200
    assert f"“{project.title}”目前不接受捐赠：项目已终止。" in response.content.decode()
    assert Donation.objects.count() == 0


def test_checkout_refused_when_the_project_closed_after_the_gift_was_started(
    client, settings, programme
):
    settings.DEBUG = True
    settings.FUNDING_TEST_PAYMENTS = True
    delivery = make_delivery(stage="in_progress", agreement_signed_on=date(2026, 1, 10))
    gift = DonationFactory(project=delivery.project, source=DonationSource.TEST)
    advance(delivery, "terminated", by=programme, note="机构解散")

    response = client.post(f"/donate/gift/{gift.access_token}/", {})

    assert response.status_code == 200
    assert "目前不接受捐赠：项目已终止。" in response.content.decode()
    gift.refresh_from_db()
    assert (gift.status, gift.external_id) == (DonationStatus.PENDING, "")
    assert MatchReservation.objects.count() == 0


# --- offline gift --------------------------------------------------------------------------


def test_admin_offline_gift_for_terminated_project_is_a_form_error(client, finance, programme):
    project = terminated_project(programme)
    client.force_login(finance[0])

    response = client.post(
        "/admin/funding_donations/offline/",
        {
            "project": project.pk,
            "amount": "1000",
            "method": "bank_transfer",
            "anonymity": "none",
            "received_on": timezone.localdate().isoformat(),
            "evidence": SimpleUploadedFile("slip.pdf", PDF),
        },
    )

    assert response.status_code == 200
    assert f"“{project.title}”目前不接受捐赠：项目已终止。" in response.content.decode()
    assert Donation.objects.count() == 0


def test_offline_gift_recorded_before_termination_cannot_be_approved(finance, programme):
    delivery = make_delivery(stage="in_progress", agreement_signed_on=date(2026, 1, 10))
    gift = record_offline_donation(
        project=delivery.project, amount=1_000_00, method="cash", recorded_by=finance[0]
    )
    advance(delivery, "terminated", by=programme, note="机构解散")

    with pytest.raises(ProjectClosedToMoney):
        approve_offline_donation(donation=gift, approved_by=finance[1])

    gift.refresh_from_db()
    assert gift.status == DonationStatus.AWAITING_APPROVAL
    assert not hasattr(delivery.project, "balance") or delivery.project.balance.raised == 0


# --- platform import -----------------------------------------------------------------------


def import_file(*slugs):
    lines = ["external_id,project_slug,amount_yuan,donor_name,donor_email,date,message,anonymous"]
    lines += [f"TX-{i},{slug},100,网友,,2026-11-20,," for i, slug in enumerate(slugs)]
    return "\n".join(lines).encode()


def test_import_row_for_project_without_signed_agreement_is_a_row_error():
    pending = make_delivery().project
    running = make_delivery(stage="in_progress", agreement_signed_on=date(2026, 1, 10)).project

    preview = preview_import(content=import_file(running.slug, pending.slug), source="generic")

    assert [row.project for row in preview.rows] == [running]
    assert preview.errors == [(3, f"“{pending.title}”目前不接受捐赠：资助协议尚未签署")]


def test_import_approval_refused_when_a_project_closed_since_the_preview(finance, programme):
    delivery = make_delivery(stage="in_progress", agreement_signed_on=date(2026, 1, 10))
    batch = commit_import(
        content=import_file(delivery.project.slug),
        source="generic",
        file_name="x.csv",
        by=finance[0],
    )
    advance(delivery, "terminated", by=programme, note="机构解散")

    with pytest.raises(ProjectClosedToMoney) as refused:
        approve_import(batch=batch, approved_by=finance[1])

    assert "项目已终止" in refused.value.messages[0]
    batch.refresh_from_db()
    assert batch.status == "awaiting_approval"
    assert Donation.objects.get().status == DonationStatus.AWAITING_APPROVAL
    assert ImportBatch.objects.count() == 1


# --- match reservation ---------------------------------------------------------------------


def test_match_reservation_refused_for_project_without_signed_agreement():
    rule = MatchingRuleFactory()
    pool = funded_pool(100_000, call=rule.call)
    project = MatchedProjectFactory(call=rule.call, status=ProjectStatus.APPROVED)
    gift = DonationFactory(project=project, amount=10_000)

    # reserve_match runs without a savepoint of its own (ledger hot path): a caller
    # that goes on after a refusal takes its own.
    with pytest.raises(ProjectClosedToMoney) as refused, transaction.atomic():
        reserve_match(donation=gift)

    assert refused.value.messages == [f"“{project.title}”无法预留配捐：资助协议尚未签署。"]
    assert MatchReservation.objects.count() == 0
    assert pool.reservations.count() == 0


# --- tranche -------------------------------------------------------------------------------


def test_admin_tranche_for_project_without_signed_agreement_is_a_form_error(client, finance):
    project = make_delivery().project
    client.force_login(finance[0])

    response = client.post(
        "/admin/funding_disbursements/record/",
        {"project": project.pk, "amount": "20000", "milestone": "", "reference": "B-1"},
    )

    assert response.status_code == 200
    assert "拨付被拒绝：资助协议尚未签署" in response.content.decode()
    assert Disbursement.objects.count() == 0
