"""Disbursement guards: other apps veto a tranche (e.g. a failed mid-term evaluation)."""

import pytest

from funding.errors import DisbursementBlocked
from funding.models import Disbursement, LedgerTransaction
from funding.selectors import project_money
from funding.services import spending
from funding.services.donations import mark_succeeded
from funding.services.spending import approve_disbursement, record_disbursement
from tests.factories.funding import DonationFactory, MatchedProjectFactory
from tests.factories.organizations import UserFactory

pytestmark = pytest.mark.django_db


class FakeGuard:
    """Blocks projects listed in ``blocked``; records every call."""

    def __init__(self):
        self.blocked = set()
        self.calls = []

    def __call__(self, project, amount):
        self.calls.append((project.pk, amount))
        if project.pk in self.blocked:
            return "中期评估未通过 / mid-term evaluation failed"
        return None


@pytest.fixture
def guard():
    fake = FakeGuard()
    spending.disbursement_guards.append(fake)
    yield fake
    spending.disbursement_guards.remove(fake)


@pytest.fixture
def funded_project():
    project = MatchedProjectFactory(slug="guarded")
    gift = DonationFactory(project=project, amount=50_000)
    mark_succeeded(donation=gift, amount_received=50_000, currency="CNY")
    return project


def test_guard_allows_and_is_called_on_record_and_approve(guard, funded_project, finance_users):
    disbursement = record_disbursement(
        project=funded_project, amount=10_000, recorded_by=finance_users[0]
    )
    approve_disbursement(disbursement=disbursement, approved_by=finance_users[1])

    assert guard.calls == [(funded_project.pk, 10_000), (funded_project.pk, 10_000)]
    assert project_money(funded_project).disbursed == 10_000


def test_guard_refuses_recording_and_nothing_is_written(guard, funded_project, finance_users):
    guard.blocked.add(funded_project.pk)

    with pytest.raises(DisbursementBlocked) as exc:
        record_disbursement(project=funded_project, amount=10_000, recorded_by=finance_users[0])

    assert "mid-term evaluation failed" in exc.value.messages[0]
    assert Disbursement.objects.count() == 0


def test_guard_refuses_approval_and_nothing_is_posted(guard, funded_project, finance_users):
    disbursement = record_disbursement(
        project=funded_project, amount=10_000, recorded_by=finance_users[0]
    )
    txns = LedgerTransaction.objects.count()
    guard.blocked.add(funded_project.pk)

    with pytest.raises(DisbursementBlocked):
        approve_disbursement(disbursement=disbursement, approved_by=finance_users[1])

    disbursement.refresh_from_db()
    assert disbursement.status == "recorded"
    assert LedgerTransaction.objects.count() == txns
    assert project_money(funded_project).disbursed == 0


def test_other_projects_are_not_blocked(guard, funded_project, finance_users):
    guard.blocked.add(funded_project.pk + 999)

    record_disbursement(project=funded_project, amount=1_000, recorded_by=finance_users[0])

    assert Disbursement.objects.count() == 1


def test_admin_shows_the_translated_reason(client, guard, funded_project):
    officer = UserFactory(username="fin-guard", is_superuser=True, is_staff=True)
    guard.blocked.add(funded_project.pk)
    client.force_login(officer)

    response = client.post(
        "/admin/funding_disbursements/record/",
        {"project": funded_project.pk, "amount": "100", "milestone": "第二期"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "拨付被拒绝" in html
    assert "mid-term evaluation failed" in html
    assert Disbursement.objects.count() == 0
