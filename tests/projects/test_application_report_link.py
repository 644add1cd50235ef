"""The applicant's application page links the evaluation report PDF (both languages)
once the call's results are published, and shows nothing before."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories.organizations import MembershipFactory
from tests.factories.projects import make_call
from tests.factories.review import ApplicationFactory

pytestmark = pytest.mark.django_db


def _application(*, published: bool):
    now = timezone.now()
    call = make_call(
        opens_at=now - timedelta(days=60),
        closes_at=now - timedelta(days=30),
        review_started_at=now - timedelta(days=25),
        notice_published_at=now - timedelta(days=2) if published else None,
    )
    application = ApplicationFactory(call=call)
    member = MembershipFactory(organization=application.organization).user
    return application, member


def _links(application):
    return [
        f"/reports/application/{application.pk}/{language}.pdf" for language in ("zh-hans", "en")
    ]


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_published_results_link_the_report_in_both_languages(client, site_pages, prefix):
    application, member = _application(published=True)
    client.force_login(member)

    response = client.get(prefix + reverse("projects:application_detail", args=[application.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    for link in _links(application):
        assert f'href="{link}"' in body
    label = "本申报的评审报告（PDF）" if not prefix else "Review report on this application (PDF)"
    assert label in body
    # The link leads somewhere the applicant may go (the PDF, or "being generated").
    assert client.get(_links(application)[0]).status_code in (200, 202)


def test_no_link_before_results_are_published(client, site_pages):
    application, member = _application(published=False)
    client.force_login(member)

    body = client.get(
        reverse("projects:application_detail", args=[application.pk])
    ).content.decode()

    for link in _links(application):
        assert link not in body
    assert "评审报告" not in body
    # And indeed the report is not available to the applicant yet.
    assert client.get(_links(application)[0]).status_code in (403, 404)
