"""Staff set and revise a delivery's budget lines with a change history
(projects.delivery.budget, /admin/delivery/<id>/budget/)."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from wagtail.models import ModelLogEntry

from funding.services.spending import record_expenditure
from organizations.roles import PROGRAMME_OFFICER
from projects.delivery.budget import LineInput, revise_budget, seed_lines
from projects.delivery.forms import report_forms
from projects.delivery.models import BudgetRevision
from projects.delivery.services import DeliveryError
from tests.factories.delivery import make_delivery, make_member
from tests.factories.funding import disbursed
from tests.factories.organizations import UserFactory
from tests.factories.review import with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer():
    return with_role(UserFactory(username="budget-officer", is_staff=True), PROGRAMME_OFFICER)


@pytest.fixture
def bare():
    """A delivery in progress with no budget lines (entered without an application)."""
    return make_delivery(stage="in_progress", budget_lines=[])


def test_a_delivery_without_lines_gets_them_and_its_report_form_offers_them(bare, officer):
    before = report_forms(bare)["expenditures"].forms[0].fields["budget_line"]
    assert not hasattr(before, "choices")  # a free-text line: nothing to choose from

    revise_budget(
        delivery=bare,
        lines=[
            LineInput(line="社工补贴", amount=3_000_000, category="personnel", source="requested"),
            LineInput(line="活动物资", amount=500_000),
        ],
        reason="按资助协议补录预算",
        by=officer,
    )

    bare.refresh_from_db()
    assert bare.budget_lines == [
        {"line": "社工补贴", "category": "personnel", "source": "requested", "amount": 3_000_000},
        {"line": "活动物资", "category": "", "source": "", "amount": 500_000},
    ]
    choices = report_forms(bare)["expenditures"].forms[0].fields["budget_line"].choices
    assert choices == [("", "—"), ("社工补贴", "社工补贴"), ("活动物资", "活动物资")]
    revision = BudgetRevision.objects.get()
    assert (revision.before, revision.reason, revision.changed_by) == (
        [],
        "按资助协议补录预算",
        officer,
    )
    assert ModelLogEntry.objects.get(action="delivery.budget.revise").data["after"] == 3_500_000


@pytest.mark.parametrize(
    ("lines", "reason", "message"),
    [
        ([], "补录", "Give at least one budget line."),
        ([LineInput(line="A", amount=100)], "  ", "Say why the budget is set or changed."),
        ([LineInput(line="  ", amount=100)], "x", "Every budget line needs a name."),
        (
            [LineInput(line="A", amount=100), LineInput(line="A", amount=200)],
            "x",
            "“A” is listed twice.",
        ),
        (
            [LineInput(line="A", amount=0)],
            "x",
            "The amount of “A” must be more than 0 and at most ¥100,000,000.00.",
        ),
        ([LineInput(line="A", amount=100, category="food")], "x", "Unknown budget category."),
    ],
)
def test_bad_lines_are_refused_and_nothing_changes(bare, officer, english, lines, reason, message):
    with pytest.raises(DeliveryError) as error:
        revise_budget(delivery=bare, lines=lines, reason=reason, by=officer)

    assert error.value.messages == [message]
    bare.refresh_from_db()
    assert bare.budget_lines == []
    assert not BudgetRevision.objects.exists()


def test_a_line_with_spending_cannot_disappear(officer, english):
    delivery = make_delivery(stage="in_progress")
    disbursed(delivery.project, 100_000)
    record_expenditure(
        project=delivery.project,
        budget_line="项目社工",
        amount=12_000,
        spent_on=date(2026, 2, 1),
        recorded_by=officer,
    )
    kept = [LineInput(line="活动物资", amount=100_000)]

    with pytest.raises(DeliveryError) as error:
        revise_budget(delivery=delivery, lines=kept, reason="合并科目", by=officer)

    assert error.value.messages == [
        "“项目社工” cannot be removed or renamed: ¥120.00 was already spent on it."
    ]


def test_only_staff_revise_and_never_after_the_project_ended(bare, officer, english):
    member = make_member(bare, username="budget-member")
    with pytest.raises(PermissionDenied):
        revise_budget(delivery=bare, lines=[LineInput(line="A", amount=1)], reason="x", by=member)
    ended = make_delivery(stage="terminated", budget_lines=[])

    with pytest.raises(DeliveryError) as error:
        revise_budget(delivery=ended, lines=[LineInput(line="A", amount=1)], reason="x", by=officer)

    assert error.value.messages == ["This project has ended; its budget can no longer change."]


def test_seed_is_the_existing_lines(officer):
    delivery = make_delivery(stage="in_progress")

    assert seed_lines(delivery) == delivery.budget_lines


def test_admin_page_saves_lines_and_shows_errors_in_chinese(client, bare, officer):
    url = reverse("delivery_admin:budget", kwargs={"pk": bare.pk})
    client.force_login(officer)
    management = {
        "lines-TOTAL_FORMS": "3",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "50",
    }

    page = client.get(url)
    bad = client.post(
        url, {**management, "lines-0-line": "社工补贴", "lines-0-amount": "abc", "reason": "补录"}
    )
    good = client.post(
        url,
        {
            **management,
            "lines-0-line": "社工补贴",
            "lines-0-category": "personnel",
            "lines-0-amount": "30,000.50",
            "reason": "补录",
        },
    )

    assert page.status_code == 200
    assert bad.status_code == 400
    assert "请更正下面的错误。" in bad.content.decode()
    assert good.status_code == 302
    bare.refresh_from_db()
    assert bare.budget_lines == [
        {"line": "社工补贴", "category": "personnel", "source": "", "amount": 3_000_050}
    ]
    history = client.get(url).content.decode()
    assert "补录" in history
    assert "¥30,000.50" in history
