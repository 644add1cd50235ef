import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from wagtail.models import ModelLogEntry

from organizations import services
from organizations.enums import MemberRole, RegistrationKind, VerificationStatus
from organizations.models import Invitation, Membership, Organization, VerificationEvent
from tests.factories.organizations import (
    InvitationFactory,
    MembershipFactory,
    OrganizationFactory,
    RegionFactory,
    UserFactory,
    make_credit_code,
)

from .conftest import pdf_upload


def _fields(**overrides):
    fields = {
        "name": "深圳市测试公益服务中心",
        "org_type": "social_service",
        "registration_kind": RegistrationKind.REGISTERED,
        "credit_code": make_credit_code(4242),
        "region": RegionFactory(),
        "contact_name": "李四",
        "contact_mobile": "+86 139 0000 1111",
        "mission": "为社区长者提供服务",
    }
    fields.update(overrides)
    return fields


def test_create_organization_makes_draft_with_owner(owner):
    organization = services.create_organization(owner=owner, fields=_fields())

    assert organization.status == VerificationStatus.DRAFT
    assert organization.contact_mobile == "13900001111"
    assert list(organization.memberships.values_list("user__username", "role")) == [
        ("owner", MemberRole.OWNER)
    ]
    assert (
        ModelLogEntry.objects.filter(
            action="wagtail.create", object_id=str(organization.pk)
        ).count()
        == 1
    )


def test_create_organization_duplicate_credit_code_saves_nothing(owner):
    existing = OrganizationFactory()

    with pytest.raises(ValidationError) as info:
        services.create_organization(owner=owner, fields=_fields(credit_code=existing.credit_code))

    assert "credit_code" in info.value.message_dict
    assert Organization.objects.count() == 1
    assert Membership.objects.count() == 0


def test_create_organization_registered_without_code_is_rejected(owner):
    with pytest.raises(ValidationError) as info:
        services.create_organization(owner=owner, fields=_fields(credit_code=None))

    assert list(info.value.message_dict) == ["credit_code"]


def test_create_organization_unregistered_team_needs_no_code(owner):
    organization = services.create_organization(
        owner=owner,
        fields=_fields(
            org_type="unregistered", registration_kind=RegistrationKind.NONE, credit_code=""
        ),
    )

    assert organization.credit_code is None
    assert organization.registration_kind == RegistrationKind.NONE


def test_create_organization_filed_team_needs_filing_number(owner):
    with pytest.raises(ValidationError) as info:
        services.create_organization(
            owner=owner, fields=_fields(registration_kind=RegistrationKind.FILED, credit_code="")
        )

    assert list(info.value.message_dict) == ["filing_number"]


def test_create_organization_rating_needs_expiry(owner):
    with pytest.raises(ValidationError) as info:
        services.create_organization(owner=owner, fields=_fields(rating="4A"))

    assert list(info.value.message_dict) == ["rating_expires_on"]


def test_submit_for_verification_incomplete_lists_missing(draft_organization, owner):
    with pytest.raises(ValidationError) as info:
        services.submit_for_verification(organization=draft_organization, by=owner)

    assert "registration certificate" in info.value.messages[0]
    draft_organization.refresh_from_db()
    assert draft_organization.status == VerificationStatus.DRAFT


def _submit(organization, user):
    services.add_document(
        organization=organization, by=user, kind="registration_certificate", upload=pdf_upload()
    )
    return services.submit_for_verification(organization=organization, by=user)


def test_verification_return_and_resubmit_keeps_history(draft_organization, owner, staff_user):
    _submit(draft_organization, owner)
    services.return_organization(
        organization=draft_organization, by=staff_user, reason="证书照片不清晰"
    )
    services.submit_for_verification(organization=draft_organization, by=owner)
    organization = services.verify_organization(organization=draft_organization, by=staff_user)

    assert organization.status == VerificationStatus.VERIFIED
    assert organization.verified_at is not None
    assert list(
        VerificationEvent.objects.filter(organization=organization)
        .order_by("pk")
        .values_list("action", "reason")
    ) == [
        ("submitted", ""),
        ("returned", "证书照片不清晰"),
        ("submitted", ""),
        ("verified", ""),
    ]
    assert set(
        ModelLogEntry.objects.filter(object_id=str(organization.pk)).values_list(
            "action", flat=True
        )
    ) >= {"organizations.submitted", "organizations.returned", "organizations.verified"}


def test_return_organization_without_reason_is_rejected(draft_organization, owner, staff_user):
    _submit(draft_organization, owner)

    with pytest.raises(ValidationError) as info:
        services.return_organization(organization=draft_organization, by=staff_user, reason=" ")

    assert list(info.value.message_dict) == ["reason"]


def test_verify_draft_organization_is_rejected(draft_organization, staff_user):
    with pytest.raises(ValidationError):
        services.verify_organization(organization=draft_organization, by=staff_user)

    draft_organization.refresh_from_db()
    assert draft_organization.status == VerificationStatus.DRAFT
    assert VerificationEvent.objects.count() == 0


def test_update_verified_organization_identity_is_fixed(organization, owner):
    with pytest.raises(ValidationError) as info:
        services.update_organization(
            organization=organization, by=owner, fields={"name": "改名后的组织"}
        )

    assert list(info.value.message_dict) == ["name"]
    organization.refresh_from_db()
    assert organization.name == "彩虹桥青少年发展中心"


def test_update_submitted_organization_is_locked(organization, owner):
    Organization.objects.filter(pk=organization.pk).update(status="submitted")

    with pytest.raises(ValidationError):
        services.update_organization(
            organization=organization, by=owner, fields={"mission": "新的使命"}
        )


def test_invite_member_sends_email_with_link(
    organization, owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invite_member(
            organization=organization, by=owner, email="Colleague@Example.org", role="editor"
        )

    assert invitation.email == "colleague@example.org"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["colleague@example.org"]
    assert f"/invitations/{invitation.token}/" in mail.outbox[0].body


def test_invite_member_existing_member_is_rejected(organization, owner):
    MembershipFactory(organization=organization, user=UserFactory(username="bob"), role="viewer")

    with pytest.raises(ValidationError) as info:
        services.invite_member(
            organization=organization, by=owner, email="BOB@example.org", role="editor"
        )

    assert info.value.message_dict["email"] == [
        "bob@example.org is already a member of this organization."
    ]
    assert Invitation.objects.count() == 0


def test_invite_member_twice_is_rejected(organization, owner):
    services.invite_member(
        organization=organization, by=owner, email="a@example.org", role="viewer"
    )

    with pytest.raises(ValidationError):
        services.invite_member(
            organization=organization, by=owner, email="a@example.org", role="editor"
        )

    assert Invitation.objects.count() == 1


def test_accept_invitation_creates_membership_once(organization):
    invitee = UserFactory(username="newbie")
    invitation = InvitationFactory(organization=organization, email=invitee.email, role="viewer")

    membership = services.accept_invitation(invitation=invitation, user=invitee)

    assert (membership.organization, membership.role) == (organization, "viewer")
    with pytest.raises(ValidationError):
        services.accept_invitation(invitation=invitation, user=invitee)


def test_accept_invitation_other_email_is_rejected(organization):
    invitation = InvitationFactory(organization=organization, email="someone@example.org")
    stranger = UserFactory(username="stranger")

    with pytest.raises(ValidationError) as info:
        services.accept_invitation(invitation=invitation, user=stranger)

    assert "someone@example.org" in info.value.messages[0]
    assert not Membership.objects.filter(user=stranger).exists()


def test_remove_member_last_owner_is_refused(organization, owner):
    membership = organization.memberships.get(user=owner)

    with pytest.raises(ValidationError) as info:
        services.remove_member(membership=membership, by=owner)

    assert info.value.messages == [
        "The last owner cannot be removed. Make another member an owner first."
    ]
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_change_member_role_last_owner_is_refused(organization, owner):
    membership = organization.memberships.get(user=owner)

    with pytest.raises(ValidationError):
        services.change_member_role(membership=membership, by=owner, role="viewer")

    membership.refresh_from_db()
    assert membership.role == MemberRole.OWNER


def test_remove_member_owner_with_second_owner_succeeds(organization, owner):
    MembershipFactory(organization=organization, role="owner")
    membership = organization.memberships.get(user=owner)

    services.remove_member(membership=membership, by=owner)

    assert list(organization.memberships.values_list("role", flat=True)) == ["owner"]


def test_user_can_belong_to_several_organizations(owner, organization):
    second = OrganizationFactory()
    MembershipFactory(organization=second, user=owner, role="viewer")

    assert set(Organization.objects.for_user(owner)) == {organization, second}


def test_return_emails_owners_with_reason(
    draft_organization, owner, staff_user, django_capture_on_commit_callbacks
):
    _submit(draft_organization, owner)

    with django_capture_on_commit_callbacks(execute=True):
        services.return_organization(
            organization=draft_organization, by=staff_user, reason="请补充章程"
        )

    assert [m.to for m in mail.outbox] == [[owner.email]]
    assert "请补充章程" in mail.outbox[0].body
