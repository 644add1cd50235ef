"""Closing a funded project (结项): checklist, overrides with reasons, leftover money on
the ledger with four eyes (projects.delivery.closing, funding.services.leftover)."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from wagtail.models import ModelLogEntry

from funding.enums import DisbursementStatus, LeftoverDestination, TransactionKind
from funding.errors import FourEyesViolation, FundingError, InsufficientFunds
from funding.models import Entry, LeftoverTransfer, PoolBalance
from funding.services.ledger import balance, project_account
from funding.services.leftover import approve_leftover, leftover_of, record_leftover
from funding.services.pools import top_up_pool
from funding.services.reconcile import reconcile
from funding.services.spending import record_expenditure, spending_room
from organizations.roles import FINANCE_OFFICER, PROGRAMME_OFFICER
from projects.delivery import services
from projects.delivery.closing import close_project, closing_checklist
from projects.delivery.enums import DeliveryStage, MilestoneStatus, ReportKind
from projects.delivery.models import Closure
from projects.delivery.services import DeliveryError
from projects.enums import ProjectStatus
from tests.factories.delivery import make_delivery, make_member, make_milestone
from tests.factories.funding import MatchPoolFactory, disbursed
from tests.factories.organizations import UserFactory
from tests.factories.review import with_role

pytestmark = pytest.mark.django_db

BUDGET = [{"line": "项目社工", "category": "personnel", "source": "match", "amount": 60_000}]


def staff(role, username):
    return with_role(UserFactory(username=username, is_staff=True), role)


@pytest.fixture
def officer():
    return staff(PROGRAMME_OFFICER, "close-officer")


@pytest.fixture
def finance():
    return staff(FINANCE_OFFICER, "close-fin-a"), staff(FINANCE_OFFICER, "close-fin-b")


@pytest.fixture
def final(officer):
    return make_final(officer)


def make_final(officer):
    """A project in the final evaluation stage: ¥1,200 raised, ¥1,000 disbursed, ¥600
    spent on its one budget line (on budget), final report accepted."""
    delivery = make_delivery(stage=DeliveryStage.IN_PROGRESS, budget_lines=BUDGET)
    project = delivery.project
    tranche = disbursed(project, 100_000)
    # disbursed() pays everything out: raise ¥200 more that is never disbursed.
    from funding.services.donations import mark_succeeded
    from tests.factories.funding import DonationFactory

    gift = DonationFactory(project=project, amount=20_000, source="test")
    mark_succeeded(donation=gift, amount_received=20_000, currency=project.currency)
    assert tranche.amount == 100_000
    member = make_member(delivery, username="close-member")
    report = services.submit_report(
        delivery=delivery,
        by=member,
        kind=ReportKind.FINAL,
        period_end=date(2026, 3, 1),
        narrative="全部完成",
        beneficiaries_reached=120,
        expenditures=[
            services.ExpenditureInput(
                budget_line="项目社工",
                amount=60_000,
                spent_on=date(2026, 2, 1),
                receipt=_receipt(),
            )
        ],
        today=date(2026, 3, 2),
    )
    services.decide_report(report=report, by=officer, accept=True)
    delivery.stage = DeliveryStage.FINAL
    delivery.save(update_fields=["stage"])
    return delivery


def _receipt():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("r.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")


def _items(delivery):
    return {item.key: (item.ok, item.detail) for item in closing_checklist(delivery)}


def test_checklist_names_what_is_missing(final, english):
    make_milestone(final, title="社区走访", status=MilestoneStatus.PLANNED)

    items = _items(final)

    assert items == {
        "milestones": (False, "Not done: 社区走访"),
        "final_report": (True, ""),
        "final_evaluation": (False, "No final evaluation has been finalised."),
        "variances": (True, ""),
        "leftover": (
            False,
            "¥200.00 never disbursed and ¥400.00 disbursed but not spent: finance records "
            "where it goes and a second finance officer approves it.",
        ),
    }


def test_closing_with_missing_items_is_refused_and_writes_nothing(final, officer, english):
    make_milestone(final, title="社区走访", status=MilestoneStatus.PLANNED)

    with pytest.raises(DeliveryError) as error:
        close_project(delivery=final, by=officer, overrides={"milestones": "  "})

    assert len(error.value.messages) == 3
    assert error.value.messages[0] == (
        "“Every milestone done” is missing (Not done: 社区走访): meet it or write why you "
        "close without it."
    )
    assert error.value.messages[2].startswith(
        "“Leftover money moved (结余资金)” is missing: ¥200.00 never disbursed"
    )
    final.refresh_from_db()
    assert final.stage == DeliveryStage.FINAL
    assert not Closure.objects.exists()


def test_leftover_cannot_be_overridden(final, officer, english):
    with pytest.raises(DeliveryError) as error:
        close_project(
            delivery=final,
            by=officer,
            overrides={"final_evaluation": "评估机构未出报告", "leftover": "以后再说"},
        )

    assert [m.split(":")[0] for m in error.value.messages] == [
        "“Leftover money moved (结余资金)” is missing"
    ]


def _move_all_to_pool(final, finance):
    pool = MatchPoolFactory()
    top_up_pool(pool=pool, amount=1_000, key="seed")
    transfer = record_leftover(
        project=final.project,
        destination=LeftoverDestination.POOL,
        pool=pool,
        reference="BANK-RET-1",
        recorded_by=finance[0],
    )
    approve_leftover(transfer=transfer, approved_by=finance[1])
    return pool, transfer


def test_leftover_returned_to_the_pool_on_the_ledger_and_reconcile_clean(final, finance):
    pool, transfer = _move_all_to_pool(final, finance)

    transfer.refresh_from_db()
    project = final.project
    assert (transfer.undisbursed, transfer.unspent, transfer.status) == (
        20_000,
        40_000,
        DisbursementStatus.APPROVED,
    )
    assert balance(project_account(project)) == 0
    assert PoolBalance.objects.get(pk=pool.pk).available == 1_000 + 60_000
    assert sorted(
        Entry.objects.filter(transaction__kind=TransactionKind.LEFTOVER).values_list(
            "account__key", "amount"
        )
    ) == sorted(
        [
            (f"project:{project.pk}:CNY", -20_000),
            (f"disbursed:{project.pk}:CNY", -40_000),
            (f"pool:{pool.pk}", 60_000),
        ]
    )
    left = leftover_of(project)
    assert (left.undisbursed, left.unspent, left.moved) == (0, 0, 60_000)
    # The returned money can no longer be recorded as spent.
    assert spending_room(project) == 0
    report = reconcile()
    assert report.problems == []


def test_closing_after_leftover_with_an_override_records_the_reason(final, officer, finance):
    _move_all_to_pool(final, finance)

    closure = close_project(
        delivery=final,
        by=officer,
        overrides={"final_evaluation": "评估机构未按期出具报告，经主任批准结项"},
        note="结项",
    )

    final.refresh_from_db()
    assert final.stage == DeliveryStage.CLOSED
    assert final.project.status == ProjectStatus.COMPLETED
    assert closure.overrides == [
        {
            "item": "final_evaluation",
            "detail": "暂无已定稿的末期评估。",
            "reason": "评估机构未按期出具报告，经主任批准结项",
        }
    ]
    entry = ModelLogEntry.objects.get(action="delivery.close.override")
    assert entry.data["reason"] == "评估机构未按期出具报告，经主任批准结项"
    assert entry.user_id == officer.pk
    assert reconcile().problems == []


def test_a_finalised_final_evaluation_meets_its_item(final):
    from django.utils import timezone

    final.final_evaluation_at = timezone.now()
    final.final_evaluation_summary = "末期评估: 86.00 · 良"
    final.save()

    assert _items(final)["final_evaluation"] == (True, "末期评估: 86.00 · 良")


def test_leftover_needs_two_finance_officers(final, finance, officer):
    with pytest.raises(FourEyesViolation):
        record_leftover(
            project=final.project,
            destination=LeftoverDestination.GENERAL,
            reference="R",
            recorded_by=officer,
        )
    transfer = record_leftover(
        project=final.project,
        destination=LeftoverDestination.GENERAL,
        reference="R",
        recorded_by=finance[0],
    )

    with pytest.raises(FourEyesViolation):
        approve_leftover(transfer=transfer, approved_by=finance[0])

    transfer.refresh_from_db()
    assert transfer.status == DisbursementStatus.RECORDED
    assert not Entry.objects.filter(transaction__kind=TransactionKind.LEFTOVER).exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"undisbursed": 20_001}, "undisbursed"),
        ({"unspent": 40_001}, "unspent"),
        ({"undisbursed": 0, "unspent": 0}, "undisbursed"),
        ({"reference": ""}, "reference"),
        ({"destination": LeftoverDestination.POOL}, "pool"),
        ({"destination": LeftoverDestination.PROJECT}, "target_project"),
        ({"destination": "bank"}, "destination"),
    ],
)
def test_bad_leftover_input_is_a_field_error_and_writes_nothing(final, finance, kwargs, field):
    args = {
        "project": final.project,
        "destination": LeftoverDestination.GENERAL,
        "reference": "R-1",
        "recorded_by": finance[0],
        **kwargs,
    }

    with pytest.raises(FundingError) as error:
        record_leftover(**args)

    assert error.value.field == field
    assert not LeftoverTransfer.objects.exists()


def test_regrant_goes_only_to_a_project_in_progress(final, finance, english):
    ended = make_delivery(stage=DeliveryStage.TERMINATED).project
    running = make_delivery(stage=DeliveryStage.IN_PROGRESS).project

    with pytest.raises(FundingError) as error:
        record_leftover(
            project=final.project,
            destination=LeftoverDestination.PROJECT,
            target_project=ended,
            reference="R",
            recorded_by=finance[0],
        )
    assert error.value.messages[0].startswith(f"“{ended.title}” cannot receive it")

    transfer = record_leftover(
        project=final.project,
        destination=LeftoverDestination.PROJECT,
        target_project=running,
        reference="R",
        recorded_by=finance[0],
    )
    approve_leftover(transfer=transfer, approved_by=finance[1])

    assert balance(project_account(running)) == 60_000
    # The regranted money can be paid out to the new project; reconcile stays clean.
    from funding.services.spending import approve_disbursement, record_disbursement

    tranche = record_disbursement(project=running, amount=60_000, recorded_by=finance[0])
    approve_disbursement(disbursement=tranche, approved_by=finance[1])
    assert reconcile().problems == []


def test_approval_rechecks_what_is_left(final, finance, officer):
    transfer = record_leftover(
        project=final.project,
        destination=LeftoverDestination.GENERAL,
        reference="R",
        recorded_by=finance[0],
    )
    # The organization records more spending after the transfer was recorded.
    record_expenditure(
        project=final.project,
        budget_line="项目社工",
        amount=10_000,
        spent_on=date(2026, 3, 3),
        recorded_by=finance[0],
    )

    with pytest.raises(InsufficientFunds):
        approve_leftover(transfer=transfer, approved_by=finance[1])

    assert not Entry.objects.filter(transaction__kind=TransactionKind.LEFTOVER).exists()


def test_only_programme_staff_close(final, finance):
    with pytest.raises(PermissionDenied):
        close_project(delivery=final, by=finance[0])


# --- the admin page ------------------------------------------------------------------


def _url(delivery):
    from django.urls import reverse

    return reverse("delivery_admin:closing", kwargs={"pk": delivery.pk})


def test_page_shows_the_checklist_and_refuses_a_close_without_reasons(client, final, officer):
    client.force_login(officer)

    page = client.get(_url(final))
    refused = client.post(_url(final), {"action": "close", "override_final_evaluation": ""})

    assert page.status_code == 200
    text = page.content.decode()
    assert "暂无已定稿的末期评估。" in text
    assert "尚未拨付 ¥200.00，已拨付未支出 ¥400.00" in text
    assert refused.status_code == 400
    assert "“末期评估已定稿”未满足（暂无已定稿的末期评估。）" in refused.content.decode()
    final.refresh_from_db()
    assert final.stage == DeliveryStage.FINAL


def test_finance_records_and_a_second_officer_approves_on_the_page(client, final, finance):
    client.force_login(finance[0])
    bad = client.post(
        _url(final),
        {"action": "record", "destination": "general", "undisbursed": "abc", "reference": "R"},
    )
    recorded = client.post(
        _url(final), {"action": "record", "destination": "general", "reference": "BANK-9"}
    )
    transfer = LeftoverTransfer.objects.get()
    client.force_login(finance[1])
    approved = client.post(_url(final), {"action": "approve", "transfer": transfer.pk})

    assert bad.status_code == 400
    assert recorded.status_code == 302
    assert approved.status_code == 302
    transfer.refresh_from_db()
    assert (transfer.status, transfer.amount, transfer.recorded_by, transfer.approved_by) == (
        DisbursementStatus.APPROVED,
        60_000,
        finance[0],
        finance[1],
    )
    assert reconcile().problems == []


def test_page_is_closed_to_organization_members(client, final):
    member = final.project.organization.memberships.first().user
    client.force_login(member)

    response = client.get(_url(final))

    # The Wagtail admin sends a person without admin access to their own page.
    assert response.status_code == 302
    assert response.url == "/me/"
