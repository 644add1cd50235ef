"""Fuzz the public POST endpoints with hypothesis: whatever is posted, the answer is a
page, a redirect or a 4xx — never a server error. (The API's query parameters are
fuzzed in tests/api/test_fuzz.py.) Few examples each so the suite stays fast."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

nasty = st.one_of(
    st.text(max_size=60),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "-1",
            "0.001",
            "1e9",
            "NaN",
            "88.888",
            "999999999999",
            "' OR 1=1 --",
            "\x00",
            "<script>alert(1)</script>",
            "助老" * 300,
            "a@b",
            "x" * 6000,
            "on",
            "true",
            "hide_both",
            "other",
            "50000",
        ]
    ),
)


def _form(fields):
    return st.dictionaries(st.sampled_from(fields), nasty, max_size=len(fields))


def _assert_handled(response):
    assert response.status_code < 500
    assert response.status_code in (200, 302, 400, 403, 404, 405, 429), response.status_code


@pytest.fixture
def member(db):
    from tests.factories.organizations import MembershipFactory

    return MembershipFactory().user


def test_fuzz_need_form_never_500(client, member):
    from tests.factories.organizations import RegionFactory
    from tests.factories.projects import ServiceItemFactory

    RegionFactory()
    ServiceItemFactory()
    client.force_login(member)
    fields = ["title", "description", "region", "service_item", "people_affected", "photos"]

    @FUZZ
    @given(_form(fields))
    def run(data):
        _assert_handled(client.post("/needs/new/", data))

    run()


def test_fuzz_donate_start_never_500(client, settings, site_pages):
    from tests.factories.funding import MatchedProjectFactory

    settings.DEBUG = True
    settings.FUNDING_TEST_PAYMENTS = True
    settings.FUNDING_VELOCITY_PER_IP = 10_000
    settings.FUNDING_VELOCITY_PER_EMAIL = 10_000
    project = MatchedProjectFactory(slug="fuzz-me")
    fields = [
        "preset",
        "custom_amount",
        "donor_name",
        "donor_email",
        "anonymity",
        "message",
        "dedication",
        "receipt_requested",
        "receipt_name",
        "receipt_address",
    ]

    @FUZZ
    @given(_form(fields), st.booleans())
    def run(data, general):
        url = "/donate/" if general else f"/donate/{project.slug}/"
        _assert_handled(client.post(url, data))

    run()


def test_fuzz_login_never_500(client, db):
    from django.core.cache import cache

    from tests.factories.organizations import UserFactory

    UserFactory(username="known")

    @FUZZ
    @given(_form(["login", "password", "remember", "next"]))
    def run(data):
        cache.clear()  # keep the rate limit from answering every example
        _assert_handled(client.post("/accounts/login/", data))

    run()


def test_fuzz_feedback_form_never_500(client, member, site_pages):
    from tests.factories.projects import ProjectFactory

    project = ProjectFactory(slug="rate-me")
    client.force_login(member)

    @FUZZ
    @given(_form(["rating", "comment"]))
    def run(data):
        from django.core.cache import cache

        cache.clear()
        _assert_handled(client.post(f"/projects/{project.slug}/feedback/", data))

    run()
