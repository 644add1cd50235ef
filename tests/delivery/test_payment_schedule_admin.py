"""Admin pages of the payment schedule (issue #18): staff set it, staff and finance enter
and verify the payee's bank details, finance lists due/held/overdue tranches (constant
queries for one project's tranches) and records one from the schedule with the amount
prefilled and the context shown; other roles are refused."""

from datetime import timedelta

import pytest
from django.urls import reverse

from funding.models import Disbursement
from projects.delivery.models import PaymentTranche
from projects.delivery.schedule import set_payment_schedule
from tests.delivery.test_payment_schedule import (
    TODAY,
    _accept_report,
    _rows,
    _verified_payee,
    make_funded_delivery,
    make_people,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return make_people()


@pytest.fixture
def delivery():
    return make_funded_delivery()


MANAGEMENT = {
    "tranches-TOTAL_FORMS": "3",
    "tranches-INITIAL_FORMS": "0",
    "tranches-MIN_NUM_FORMS": "0",
    "tranches-MAX_NUM_FORMS": "12",
}


def test_staff_set_the_schedule_in_the_admin(client, delivery, people):
    url = reverse("delivery_admin:schedule", kwargs={"pk": delivery.pk})
    first, second = delivery.milestones.order_by("due_on")[:2]
    client.force_login(people["officer"])
    rows = {
        "tranches-0-milestone": first.pk,
        "tranches-0-percent": "60",
        "tranches-0-due_on": TODAY.isoformat(),
        "tranches-1-milestone": second.pk,
        "tranches-1-percent": "40",
        "tranches-1-due_on": (TODAY + timedelta(days=90)).isoformat(),
        "tranches-1-needs_report": "on",
    }

    page = client.get(url)
    bad = client.post(url, {**MANAGEMENT, **rows, "granted": "10,000", "tranches-1-percent": "30"})
    good = client.post(url, {**MANAGEMENT, **rows, "granted": "10,000"})

    assert page.status_code == 200
    assert "设定拨付计划" in page.content.decode()
    assert bad.status_code == 400
    assert "各期合计¥9,000.00，与资助金额¥10,000.00不符。" in bad.content.decode()
    assert good.status_code == 302
    assert list(
        PaymentTranche.objects.values_list("position", "amount", "needs_report").order_by(
            "position"
        )
    ) == [(1, 6_000_00, False), (2, 4_000_00, True)]


def test_payee_page_masks_nothing_for_staff_and_lists_mask_the_number(client, delivery, people):
    url = reverse("delivery_admin:payee", kwargs={"pk": delivery.pk})
    client.force_login(people["fin1"])

    saved = client.post(
        url,
        {
            "action": "save",
            "account_name": "测试社工服务中心",
            "bank_name": "中国工商银行深圳福田支行",
            "account_number": "4000021234567890",
        },
    )
    own = client.get(url).content.decode()
    client.force_login(people["fin2"])
    verified = client.post(url, {"action": "verify"})
    set_payment_schedule(
        delivery=delivery, granted=10_000_00, rows=_rows(delivery), by=people["officer"]
    )
    listing = client.get(reverse("delivery_admin:tranches")).content.decode()

    assert (saved.status_code, verified.status_code) == (302, 302)
    assert "4000021234567890" in own
    assert "这些银行信息由您录入，须由另一位工作人员核实。" in own
    assert 'value="verify"' not in own
    assert "•••• 7890 · 已认证" in listing
    assert "4000021234567890" not in listing


def _count_queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        html = client.get(url).content.decode()
    return len(queries.captured_queries), html


def test_finance_list_shows_states_with_constant_queries(client, delivery, people):
    url = reverse("delivery_admin:tranches") + "?show=all"
    client.force_login(people["fin1"])
    client.get(url)  # warm the session and permission caches
    rows = _rows(delivery, dues=(-3, 120, 300))
    set_payment_schedule(
        delivery=delivery,
        granted=10_000_00,
        rows=[rows[0].__class__(**{**rows[0].__dict__, "percent": 100})],
        by=people["officer"],
    )
    one, _ = _count_queries(client, url)
    set_payment_schedule(delivery=delivery, granted=10_000_00, rows=rows, by=people["officer"])

    three, html = _count_queries(client, url)

    assert one == three
    assert html.count(f'href="/admin/delivery/{delivery.pk}/schedule/"') == 3
    # The filter's option, the explanation above the table and the first tranche.
    assert html.count("应拨付") == 3
    assert html.count("未到拨付条件") == 3  # the option and tranches 2 and 3
    assert html.count("<strong>已逾期</strong>") == 1


def test_record_page_prefills_the_amount_and_shows_the_context(client, delivery, people):
    set_payment_schedule(
        delivery=delivery, granted=10_000_00, rows=_rows(delivery), by=people["officer"]
    )
    _verified_payee(delivery, people)
    report = _accept_report(delivery, delivery.milestones.get(title="中期成果"))
    second = PaymentTranche.objects.get(position=2)
    url = reverse("delivery_admin:tranche_record", kwargs={"pk": second.pk})
    client.force_login(people["fin1"])

    page = client.get(url).content.decode()
    posted = client.post(url, {"amount": "4,000.00", "reference": "ICBC-0002"})
    client.force_login(people["officer"])
    refused = client.get(url)

    assert 'value="4000"' in page
    assert "中期成果" in page
    assert f"/admin/delivery/{delivery.pk}/reports/{report.pk}/" in page
    assert "中国工商银行深圳福田支行 · 4000021234567890123 · 已认证" in page
    assert posted.status_code == 302
    disbursement = Disbursement.objects.get()
    assert (disbursement.amount, disbursement.reference, disbursement.recorded_by) == (
        4_000_00,
        "ICBC-0002",
        people["fin1"],
    )
    assert (refused.status_code, refused.url) == (302, "/admin/")  # sent away by the admin


def test_schedule_and_payee_pages_refuse_other_roles(client, delivery, people):
    from organizations.roles import EVALUATOR
    from tests.funding.test_project_guards import staff_in

    evaluator = staff_in(EVALUATOR, "sch-evaluator")
    schedule = reverse("delivery_admin:schedule", kwargs={"pk": delivery.pk})
    payee = reverse("delivery_admin:payee", kwargs={"pk": delivery.pk})

    client.force_login(people["fin1"])
    finance_schedule = client.get(schedule).status_code
    finance_payee = client.get(payee).status_code
    client.force_login(evaluator)
    evaluator_codes = [client.get(u).status_code for u in (schedule, payee)]

    assert (finance_schedule, finance_payee) == (403, 200)
    assert evaluator_codes == [403, 403]
