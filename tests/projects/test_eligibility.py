import datetime

import pytest

from organizations.enums import OrganizationType
from projects.eligibility import eligibility_errors
from tests.factories.organizations import OrganizationFactory, RegionFactory
from tests.factories.projects import make_call

pytestmark = pytest.mark.django_db


def test_min_rating_reads_current_rating(site_pages):
    call = make_call(min_rating="3A")
    future = datetime.date.today() + datetime.timedelta(days=365)
    past = datetime.date.today() - datetime.timedelta(days=1)
    good = OrganizationFactory(rating="4A", rating_expires_on=future)
    low = OrganizationFactory(rating="2A", rating_expires_on=future)
    expired = OrganizationFactory(rating="5A", rating_expires_on=past)

    results = [eligibility_errors(call=call, organization=o) for o in (good, low, expired)]

    refusal = "本次征集要求社会组织评估等级不低于 3A。"
    assert results == [[], [refusal], [refusal]]


def test_district_and_type_rules(site_pages):
    district = RegionFactory(level="district", code="440305")
    other_district = RegionFactory(level="district", code="440306")
    inside = OrganizationFactory(region=RegionFactory(parent=district, code="440305001"))
    outside = OrganizationFactory(region=RegionFactory(parent=other_district, code="440306001"))
    foundation = OrganizationFactory(region=inside.region, org_type=OrganizationType.FOUNDATION)
    call = make_call(eligible_org_types=[OrganizationType.SOCIAL_SERVICE])
    call.eligible_districts.set([district])
    call.save()

    results = [eligibility_errors(call=call, organization=o) for o in (inside, outside, foundation)]

    assert results[0] == []
    assert results[1] == ["本次征集仅面向指定辖区的组织。"]
    assert len(results[2]) == 1
    assert results[2][0].startswith("本次征集仅面向以下类型的组织：")


def test_staff_can_download_attachment(client, application, user):
    from django.contrib.auth.models import Group
    from django.core.files.uploadedfile import SimpleUploadedFile

    from organizations.roles import PROGRAMME_OFFICER
    from projects import services
    from tests.factories.organizations import UserFactory

    pdf = b"%PDF-1.4\n%%EOF\n"
    attachment = services.add_attachment(
        application=application,
        upload=SimpleUploadedFile("a.pdf", pdf),
        description="",
        content_type="application/pdf",
        by=user,
    )
    officer = UserFactory(username="download-officer")
    officer.groups.add(Group.objects.get_or_create(name=PROGRAMME_OFFICER)[0])
    client.force_login(officer)

    response = client.get(attachment.get_absolute_url())

    assert b"".join(response.streaming_content) == pdf
