"""Fields that decide eligibility are fixed for members once verified (#14 item 6)."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from organizations import services
from tests.factories.organizations import RegionFactory

pytestmark = pytest.mark.django_db


def _edit_data(organization, **changes):
    data = {
        "name": organization.name,
        "org_type": organization.org_type,
        "registration_kind": "registered",
        "credit_code": organization.credit_code,
        "region": organization.region_id,
        "contact_name": "赵六",
        "contact_mobile": "13600001111",
        "mission": "新使命",
        "staff_count": 1,
        "volunteer_count": 2,
    }
    data.update(changes)
    return data


def test_member_cannot_raise_rating_or_move_region_of_verified_organization(
    client, organization, owner
):
    before = (organization.region_id, organization.rating, organization.rating_expires_on)
    elsewhere = RegionFactory()
    client.force_login(owner)

    response = client.post(
        f"/en/me/organizations/{organization.slug}/edit/",
        _edit_data(organization, rating="5A", rating_expires_on="2035-12-31", region=elsewhere.pk),
    )

    organization.refresh_from_db()
    assert response.status_code == 302
    assert organization.mission == "新使命"
    assert (organization.region_id, organization.rating, organization.rating_expires_on) == before


def test_edit_form_shows_eligibility_fields_read_only_with_the_reason(client, organization, owner):
    client.force_login(owner)

    form = client.get(f"/en/me/organizations/{organization.slug}/edit/").context["form"]

    assert [
        name for name in ("region", "rating", "rating_expires_on") if form.fields[name].disabled
    ] == [
        "region",
        "rating",
        "rating_expires_on",
    ]
    assert form.fields["rating"].help_text.startswith("Decides which calls")


def test_update_service_refuses_eligibility_changes_once_verified(organization, owner):
    with pytest.raises(ValidationError) as info:
        services.update_organization(
            organization=organization,
            by=owner,
            fields={
                "rating": "5A",
                "rating_expires_on": datetime.date(2035, 12, 31),
                "region": RegionFactory(),
            },
        )

    assert sorted(info.value.message_dict) == ["rating", "rating_expires_on", "region"]
    organization.refresh_from_db()
    assert organization.rating == ""


def test_draft_organization_still_sets_its_region_and_rating(draft_organization, owner):
    region = RegionFactory()

    services.update_organization(
        organization=draft_organization,
        by=owner,
        fields={"rating": "4A", "rating_expires_on": datetime.date(2030, 1, 1), "region": region},
    )

    draft_organization.refresh_from_db()
    assert (draft_organization.rating, draft_organization.region_id) == ("4A", region.pk)
