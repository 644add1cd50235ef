"""Call close-out (projects.delivery.closeout): totals are the sums of the projects and
equal the ledger; a terminated project is listed as terminated, never as funded."""

import pytest
from django.db.models import Sum
from django.urls import reverse

from funding.enums import (
    DISBURSED_KINDS,
    MATCH_KINDS,
    RAISED_KINDS,
    AccountKind,
    LeftoverDestination,
    TransactionKind,
)
from funding.models import Entry
from funding.services.donations import mark_succeeded
from funding.services.leftover import approve_leftover, record_leftover
from funding.services.reconcile import reconcile
from funding.services.spending import record_expenditure
from organizations.roles import FINANCE_OFFICER
from projects.delivery.closeout import call_closeout
from projects.enums import ProjectStatus, ProjectTier
from tests.delivery.test_closing import staff
from tests.factories.delivery import make_delivery
from tests.factories.funding import DonationFactory, disbursed, make_call
from tests.factories.projects import ProjectFactory

pytestmark = pytest.mark.django_db


def _gift(project, amount):
    gift = DonationFactory(project=project, amount=amount, source="test")
    mark_succeeded(donation=gift, amount_received=amount, currency=project.currency)


@pytest.fixture
def world():
    from datetime import date

    call = make_call(slug="closeout-call")
    fin = staff(FINANCE_OFFICER, "co-fin-a"), staff(FINANCE_OFFICER, "co-fin-b")
    tier = ProjectTier.FUNDED_MATCHED
    ended = make_delivery(
        stage="final",
        project=ProjectFactory(call=call, title="甲 已结束", status="approved", tier=tier),
    ).project
    disbursed(ended, 50_000)
    _gift(ended, 7_000)
    record_expenditure(
        project=ended,
        budget_line="项目社工",
        amount=30_000,
        spent_on=date(2026, 2, 1),
        recorded_by=fin[0],
    )
    transfer = record_leftover(
        project=ended,
        destination=LeftoverDestination.GENERAL,
        reference="RET-1",
        recorded_by=fin[0],
    )
    approve_leftover(transfer=transfer, approved_by=fin[1])
    terminated = make_delivery(
        stage="in_progress",
        project=ProjectFactory(call=call, title="乙 已终止", status="approved", tier=tier),
    )
    disbursed(terminated.project, 20_000)
    terminated.stage = "terminated"
    terminated.termination_reason = "机构解散"
    terminated.save()
    terminated.project.status = ProjectStatus.TERMINATED
    terminated.project.save(update_fields=["status"])
    running = make_delivery(
        stage="in_progress",
        project=ProjectFactory(call=call, title="丙 执行中", status="approved", tier=tier),
    ).project
    _gift(running, 12_345)
    make_delivery(stage="in_progress", project=ProjectFactory(title="别的征集的项目"))
    return call, [ended, terminated.project, running]


def _ledger(kinds, ids, sign=1):
    return sign * (
        Entry.objects.filter(
            transaction__kind__in=kinds,
            account__kind=AccountKind.PROJECT,
            account__project_id__in=ids,
        ).aggregate(t=Sum("amount"))["t"]
        or 0
    )


def test_totals_are_the_sums_of_the_projects_and_the_ledger(world):
    call, projects = world
    ids = [p.pk for p in projects]

    closeout = call_closeout(call)

    assert [r.project.title for r in closeout.rows] == ["丙 执行中", "乙 已终止", "甲 已结束"]
    totals = closeout.totals
    for name in ("raised", "matched", "disbursed", "spent", "undisbursed", "unspent", "moved"):
        assert totals[name] == sum(getattr(r, name) for r in closeout.rows), name
    assert totals["raised"] == _ledger(RAISED_KINDS, ids) == 50_000 + 7_000 + 20_000 + 12_345
    assert totals["matched"] == _ledger(MATCH_KINDS, ids) == 0
    assert totals["disbursed"] == _ledger(DISBURSED_KINDS, ids, -1) == 70_000
    assert totals["spent"] == 30_000
    # Left: the running project's fund (never disbursed) and the terminated project's
    # disbursed-but-unspent money; the ended project's leftover was moved on.
    assert (totals["undisbursed"], totals["unspent"], closeout.leftover_total) == (
        12_345,
        20_000,
        32_345,
    )
    fund_balances = Entry.objects.filter(
        account__kind=AccountKind.PROJECT, account__project_id__in=ids
    ).aggregate(t=Sum("amount"))["t"]
    assert totals["undisbursed"] == fund_balances
    moved = Entry.objects.filter(
        transaction__kind=TransactionKind.LEFTOVER, account__kind=AccountKind.GENERAL
    ).aggregate(t=Sum("amount"))["t"]
    assert totals["moved"] == moved == 7_000 + 20_000
    assert reconcile().problems == []


def test_a_terminated_project_is_listed_as_terminated_not_funded(world):
    call, _projects = world

    statuses = {r.project.title: r.status for r in call_closeout(call).rows}

    assert statuses == {
        "甲 已结束": "实施中 · 资助并配捐",
        "乙 已终止": "已终止",
        "丙 执行中": "实施中 · 资助并配捐",
    }


def test_admin_page_shows_the_totals_in_yuan(client, world):
    call, _projects = world
    client.force_login(staff(FINANCE_OFFICER, "co-fin-c"))

    page = client.get(reverse("delivery_admin:closeout", kwargs={"call_pk": call.pk}))
    index = client.get(reverse("delivery_admin:closeout_index"))

    assert page.status_code == 200
    text = page.content.decode()
    assert "¥893.45" in text  # raised: 500 + 70 + 200 + 123.45
    assert "¥323.45" in text  # still left
    assert "已终止" in text
    assert index.status_code == 200
    assert reverse("delivery_admin:closeout", kwargs={"call_pk": call.pk}) in index.content.decode()


def test_query_count_does_not_grow_with_the_projects(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call, _projects = world
    small = make_call(slug="closeout-small")
    make_delivery(stage="in_progress", project=ProjectFactory(call=small, status="approved"))

    with CaptureQueriesContext(connection) as one:
        call_closeout(small)
    with CaptureQueriesContext(connection) as three:
        call_closeout(call)

    assert len(one) == len(three) == 4
