"""The payment schedule (issue #18): tranches adding up to the granted amount, tied to
agreed milestones and released by accepted reports; the payee's bank details verified by
a second person; finance's list of due, held and overdue tranches; recording one from the
schedule. Role accounts are built as seed_demo builds them (role group + is_staff)."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from wagtail.models import ModelLogEntry

from funding.models import Disbursement
from funding.services import spending
from funding.services.donations import mark_succeeded
from funding.services.spending import approve_disbursement, refuse_disbursement
from organizations.roles import FINANCE_OFFICER, PROGRAMME_OFFICER
from projects.delivery.models import PaymentTranche, ProgressReport
from projects.delivery.payee import save_payee_account, verify_payee_account
from projects.delivery.schedule import (
    TrancheInput,
    TrancheState,
    record_scheduled_tranche,
    set_payment_schedule,
    tranche_rows,
)
from projects.delivery.services import DeliveryError
from tests.factories.delivery import make_delivery, make_milestone
from tests.factories.funding import DonationFactory
from tests.funding.test_project_guards import staff_in

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def make_people():
    return {
        "officer": staff_in(PROGRAMME_OFFICER, "sch-officer"),
        "fin1": staff_in(FINANCE_OFFICER, "sch-fin1"),
        "fin2": staff_in(FINANCE_OFFICER, "sch-fin2"),
    }


def make_funded_delivery():
    """In progress, agreement signed, ¥10,000.00 in its fund, three agreed milestones."""
    delivery = make_delivery(stage="in_progress", agreement_signed_on=date(2026, 1, 10))
    gift = DonationFactory(project=delivery.project, amount=10_000_00)
    mark_succeeded(donation=gift, amount_received=10_000_00, currency="CNY")
    for title, due in (("签约启动", 10), ("中期成果", 120), ("结项验收", 300)):
        make_milestone(delivery, title=title, due_on=TODAY + timedelta(days=due))
    return delivery


@pytest.fixture
def people():
    return make_people()


@pytest.fixture
def delivery():
    return make_funded_delivery()


def _rows(delivery, percents=(40, 40, 20), dues=(10, 120, 300)):
    milestones = list(delivery.milestones.order_by("due_on"))
    return [
        TrancheInput(
            milestone=m,
            percent=p,
            due_on=TODAY + timedelta(days=d),
            needs_report=i > 0,
        )
        for i, (m, p, d) in enumerate(zip(milestones, percents, dues, strict=True))
    ]


def _verified_payee(delivery, people):
    account = save_payee_account(
        organization=delivery.project.organization,
        account_name="测试社工服务中心",
        bank_name="中国工商银行深圳福田支行",
        account_number="4000 0212 3456 7890 123",
        by=people["officer"],
    )
    return verify_payee_account(account=account, by=people["fin1"])


def _accept_report(delivery, milestone):
    return ProgressReport.objects.create(
        delivery=delivery,
        milestone=milestone,
        period_end=TODAY,
        narrative="完成中期活动",
        beneficiaries_reached=120,
        status="accepted",
        submitted_by=delivery.project.organization.memberships.first().user
        if delivery.project.organization.memberships.exists()
        else staff_in(PROGRAMME_OFFICER, "sch-submitter"),
        submitted_at=timezone.now(),
        decided_at=timezone.now(),
    )


def test_schedule_in_percent_adds_up_to_the_granted_amount(delivery, people):
    tranches = set_payment_schedule(
        delivery=delivery, granted=9_999_99, rows=_rows(delivery), by=people["officer"]
    )

    assert [(t.position, t.percent, t.amount) for t in tranches] == [
        (1, 40, 3_999_99),
        (2, 40, 3_999_99),
        (3, 20, 2_000_01),
    ]
    delivery.refresh_from_db()
    assert delivery.granted_amount == 9_999_99
    assert [t.milestone.title for t in delivery.schedule.all()] == [
        "签约启动",
        "中期成果",
        "结项验收",
    ]
    entry = ModelLogEntry.objects.get(action="delivery.schedule.set")
    assert entry.data == {"granted": 9_999_99, "amounts": [3_999_99, 3_999_99, 2_000_01]}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"percents": (40, 40, 10)},
            "各期合计¥9,000.00，与资助金额¥10,000.00不符。",
        ),
        ({"granted": 0}, "请填写资助金额。"),
    ],
)
def test_schedule_that_does_not_add_up_is_refused(delivery, people, change, message):
    rows = _rows(delivery, percents=change.get("percents", (40, 40, 20)))

    with pytest.raises(DeliveryError) as refused:
        set_payment_schedule(
            delivery=delivery,
            granted=change.get("granted", 10_000_00),
            rows=rows,
            by=people["officer"],
        )

    assert message in refused.value.messages
    assert PaymentTranche.objects.count() == 0


def test_schedule_refuses_a_proposed_milestone_and_non_staff(delivery, people):
    proposed = make_milestone(delivery, title="机构自提", status="proposed")
    rows = [TrancheInput(milestone=proposed, amount=10_000_00, due_on=TODAY)]

    with pytest.raises(DeliveryError) as refused:
        set_payment_schedule(delivery=delivery, granted=10_000_00, rows=rows, by=people["officer"])
    with pytest.raises(PermissionDenied):
        set_payment_schedule(delivery=delivery, granted=10_000_00, rows=rows, by=people["fin1"])

    assert refused.value.messages == ["第1期：“机构自提”不是已商定的里程碑。"]


def test_payee_is_verified_by_someone_else_and_a_change_clears_it(delivery, people):
    org = delivery.project.organization
    account = save_payee_account(
        organization=org,
        account_name="测试社工服务中心",
        bank_name="中国工商银行深圳福田支行",
        account_number="4000-0212-3456",
        by=people["fin1"],
    )

    with pytest.raises(DeliveryError) as own:
        verify_payee_account(account=account, by=people["fin1"])
    verify_payee_account(account=account, by=people["fin2"])
    account.refresh_from_db()
    verified = account.is_verified
    changed = save_payee_account(
        organization=org,
        account_name="测试社工服务中心",
        bank_name="中国工商银行深圳福田支行",
        account_number="400002123457",
        by=people["fin2"],
    )

    assert own.value.messages == ["这些银行信息由您录入，须由另一位工作人员核实。"]
    assert (account.account_number, account.masked_number, verified) == (
        "400002123456",
        "•••• 3456",
        True,
    )
    assert (changed.account_number, changed.is_verified) == ("400002123457", False)
    assert [
        e.action
        for e in ModelLogEntry.objects.filter(action__startswith="delivery.").order_by("pk")
    ] == [
        "delivery.payee.save",
        "delivery.payee.verify",
        "delivery.payee.save",
    ]


def test_states_due_upcoming_overdue_and_held(delivery, people, monkeypatch):
    rows = _rows(delivery, dues=(-5, 120, 300))
    set_payment_schedule(delivery=delivery, granted=10_000_00, rows=rows, by=people["officer"])

    before = [(r["tranche"].position, r["state"], r["overdue"]) for r in tranche_rows()]
    monkeypatch.setattr(spending, "disbursement_guards", [lambda p, a: "中期评估为“差”"])
    held = tranche_rows()

    assert before == [
        (1, TrancheState.DUE, True),
        (2, TrancheState.UPCOMING, False),
        (3, TrancheState.UPCOMING, False),
    ]
    assert [(r["state"], r["holds"]) for r in held][0] == (TrancheState.HELD, ["中期评估为“差”"])


def test_accepted_report_makes_the_later_tranche_due(delivery, people):
    set_payment_schedule(
        delivery=delivery, granted=10_000_00, rows=_rows(delivery), by=people["officer"]
    )
    midterm = delivery.milestones.get(title="中期成果")

    report = _accept_report(delivery, midterm)

    row = tranche_rows(PaymentTranche.objects.filter(position=2))[0]
    assert (row["state"], row["report"]) == (TrancheState.DUE, report)


def test_record_from_schedule_links_disbursement_and_report(delivery, people):
    set_payment_schedule(
        delivery=delivery, granted=10_000_00, rows=_rows(delivery), by=people["officer"]
    )
    _verified_payee(delivery, people)
    report = _accept_report(delivery, delivery.milestones.get(title="中期成果"))
    second = PaymentTranche.objects.get(position=2)

    disbursement = record_scheduled_tranche(
        tranche=second, amount=second.amount, reference="BANK-2", by=people["fin1"]
    )
    approve_disbursement(disbursement=disbursement, approved_by=people["fin2"], paid_on=TODAY)

    second.refresh_from_db()
    assert (second.disbursement, second.release_report) == (disbursement, report)
    disbursement.refresh_from_db()
    assert (disbursement.amount, disbursement.milestone, disbursement.paid_on) == (
        4_000_00,
        "中期成果",
        TODAY,
    )
    row = tranche_rows(PaymentTranche.objects.filter(pk=second.pk))[0]
    assert row["state"] == TrancheState.PAID
    assert ModelLogEntry.objects.filter(action="delivery.schedule.record").count() == 1


def test_record_refuses_unreleased_unverified_too_much_and_twice(delivery, people):
    set_payment_schedule(
        delivery=delivery, granted=10_000_00, rows=_rows(delivery), by=people["officer"]
    )
    first, second = PaymentTranche.objects.filter(position__in=[1, 2]).order_by("position")

    with pytest.raises(DeliveryError) as refused:
        record_scheduled_tranche(tranche=second, amount=5_000_00, reference="", by=people["fin1"])
    _verified_payee(delivery, people)
    disbursement = record_scheduled_tranche(
        tranche=first, amount=first.amount, reference="", by=people["fin1"]
    )
    with pytest.raises(DeliveryError) as twice:
        record_scheduled_tranche(
            tranche=first, amount=first.amount, reference="", by=people["fin1"]
        )
    refuse_disbursement(
        disbursement=disbursement, by=people["fin1"], reason="金额录错", cancel=True
    )
    again = record_scheduled_tranche(
        tranche=first, amount=first.amount, reference="", by=people["fin2"]
    )

    assert refused.value.messages == [
        "“中期成果”尚无通过的进展报告，这一期尚未到拨付条件。",
        "金额超过计划的¥4,000.00。",
        "机构的收款账户尚未填写或尚未核实。",
    ]
    assert twice.value.messages == ["这一期已登记。"]
    first.refresh_from_db()
    assert first.disbursement == again
    assert list(Disbursement.objects.values_list("tranche", "status").order_by("tranche")) == [
        (1, "cancelled"),
        (2, "recorded"),
    ]


def test_schedule_is_fixed_while_a_recorded_tranche_stands(delivery, people):
    set_payment_schedule(
        delivery=delivery, granted=10_000_00, rows=_rows(delivery), by=people["officer"]
    )
    _verified_payee(delivery, people)
    first = PaymentTranche.objects.get(position=1)
    record_scheduled_tranche(tranche=first, amount=first.amount, reference="", by=people["fin1"])

    with pytest.raises(DeliveryError) as refused:
        set_payment_schedule(
            delivery=delivery,
            granted=10_000_00,
            rows=_rows(delivery, percents=(50, 30, 20)),
            by=people["officer"],
        )

    assert refused.value.messages == [
        "已按此计划登记了一笔拨付；须先驳回或撤销该笔拨付，才能修改计划。"
    ]
