import pytest

from tests.factories.delivery import make_delivery, make_member
from tests.factories.organizations import UserFactory
from tests.factories.review import make_officer


@pytest.fixture
def english():
    """Service messages asserted in English (msgids)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def officer(db):
    return make_officer(username="officer-d")


@pytest.fixture
def delivery(db):
    return make_delivery()


@pytest.fixture
def active(db):
    """A delivery in progress with the agreement signed."""
    from datetime import date

    from tests.factories.funding import disbursed

    delivery = make_delivery(stage="in_progress", agreement_signed_on=date(2026, 1, 10))
    # Spending is bounded by what was paid out (funding: spent ≤ disbursed).
    disbursed(delivery.project, 100_000_000)
    return delivery


@pytest.fixture
def member(active):
    return make_member(active, username="member-d")


@pytest.fixture
def outsider(db):
    """A member of another organization."""
    other = make_delivery()
    return make_member(other, username="outsider-d")


@pytest.fixture
def stranger(db):
    return UserFactory(username="stranger-d")
