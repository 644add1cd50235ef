import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from organizations.models import Invitation, Membership, Organization, OrganizationDocument
from tests.factories.organizations import (
    InvitationFactory,
    MembershipFactory,
    RegionFactory,
    UserFactory,
    make_credit_code,
)

from .conftest import EXE_BYTES, PDF_BYTES, pdf_upload, png_bytes


def _post_data(region, **overrides):
    data = {
        "name": "深圳市新芽社区服务中心",
        "org_type": "social_service",
        "registration_kind": "registered",
        "credit_code": make_credit_code(555),
        "region": region.pk,
        "contact_name": "王五",
        "contact_mobile": "13700001234",
        "contact_email": "info@xinya.org",
        "mission": "陪伴社区儿童成长",
        "staff_count": "3",
        "volunteer_count": "40",
        "last_year_income_yuan": "123456.78",
    }
    data.update(overrides)
    return data


def test_dashboard_lists_my_organizations(client, organization, owner):
    client.force_login(owner)

    response = client.get("/en/me/")

    assert response.status_code == 200
    assert [m.organization for m in response.context["memberships"]] == [organization]
    assert "彩虹桥青少年发展中心" in response.content.decode()


def test_dashboard_anonymous_redirects_to_login(client):
    response = client.get("/me/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_dashboard_renders_in_chinese_by_default(client, owner):
    client.force_login(owner)

    response = client.get("/me/")

    assert "我的组织" in response.content.decode()


def test_create_organization_page_creates_draft(client, owner):
    client.force_login(owner)
    region = RegionFactory()

    response = client.post("/en/me/organizations/new/", _post_data(region))

    organization = Organization.objects.get(name="深圳市新芽社区服务中心")
    assert response.status_code == 302
    assert response["Location"] == f"/en/me/organizations/{organization.slug}/"
    assert organization.last_year_income == 12345678
    assert organization.status == "draft"
    assert Membership.objects.get(organization=organization).user == owner


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("credit_code", "524403000000012341", "check character does not match"),
        ("contact_mobile", "12345", "mainland China mobile number"),
        ("contact_email", "not-an-email", "Enter a valid email address."),
    ],
)
def test_create_organization_bad_input_keeps_input(client, owner, field, value, message):
    client.force_login(owner)
    region = RegionFactory()

    response = client.post("/en/me/organizations/new/", _post_data(region, **{field: value}))

    content = response.content.decode()
    assert response.status_code == 200
    assert message in content
    assert "深圳市新芽社区服务中心" in content  # what the user typed is kept
    assert Organization.objects.count() == 0


def test_create_organization_duplicate_credit_code_shows_field_error(client, owner, other_org):
    client.force_login(owner)

    response = client.post(
        "/en/me/organizations/new/", _post_data(RegionFactory(), credit_code=other_org.credit_code)
    )

    assert response.context["form"].errors["credit_code"] == [
        "An organization with this unified social credit code is already registered on the portal."
    ]
    assert Organization.objects.count() == 1


def test_create_organization_bad_input_in_chinese(client, owner):
    client.force_login(owner)

    response = client.post(
        "/me/organizations/new/", _post_data(RegionFactory(), contact_mobile="123")
    )

    assert "请输入中国大陆手机号码" in response.content.decode()


def test_create_organization_disguised_logo_rejected(client, owner):
    client.force_login(owner)
    logo = SimpleUploadedFile("logo.png", EXE_BYTES, content_type="image/png")

    response = client.post(
        "/en/me/organizations/new/", {**_post_data(RegionFactory()), "logo": logo}
    )

    assert "logo" in response.context["form"].errors
    assert Organization.objects.count() == 0


def test_create_organization_with_png_logo(client, owner):
    client.force_login(owner)
    logo = SimpleUploadedFile("logo.png", png_bytes(), content_type="image/png")

    client.post("/en/me/organizations/new/", {**_post_data(RegionFactory()), "logo": logo})

    assert Organization.objects.get().logo.name.startswith("organizations/logos/")


def test_document_upload_stores_privately_and_serves_to_members(
    client, organization, owner, settings
):
    client.force_login(owner)

    response = client.post(
        f"/en/me/organizations/{organization.slug}/documents/new/",
        {"kind": "articles", "file": pdf_upload("章程.pdf")},
    )
    document = OrganizationDocument.objects.get()
    download = client.get(document.get_absolute_url())

    assert response.status_code == 302
    assert document.content_type == "application/pdf"
    assert document.file.path.startswith(str(settings.PRIVATE_MEDIA_ROOT))
    assert b"".join(download.streaming_content) == PDF_BYTES
    assert download["Content-Type"] == "application/pdf"


def test_document_upload_disguised_executable_rejected(client, organization, owner):
    client.force_login(owner)
    fake = SimpleUploadedFile("certificate.pdf", EXE_BYTES, content_type="application/pdf")

    response = client.post(
        f"/en/me/organizations/{organization.slug}/documents/new/",
        {"kind": "registration_certificate", "file": fake},
    )

    assert response.status_code == 400
    assert "content does not match" in response.content.decode()
    assert OrganizationDocument.objects.count() == 0


def test_document_upload_oversized_rejected(client, organization, owner, settings):
    settings.MAX_UPLOAD_SIZE = 100
    client.force_login(owner)

    response = client.post(
        f"/en/me/organizations/{organization.slug}/documents/new/",
        {"kind": "articles", "file": pdf_upload(content=PDF_BYTES * 3)},
    )

    assert "The file is too large" in response.content.decode()
    assert OrganizationDocument.objects.count() == 0


def test_submit_view_moves_to_submitted(client, draft_organization, owner):
    client.force_login(owner)
    client.post(
        f"/en/me/organizations/{draft_organization.slug}/documents/new/",
        {"kind": "registration_certificate", "file": pdf_upload()},
    )

    response = client.post(f"/en/me/organizations/{draft_organization.slug}/submit/", follow=True)

    draft_organization.refresh_from_db()
    assert draft_organization.status == "submitted"
    assert "Submitted." in response.content.decode()


def test_invite_view_duplicate_member_shows_error_and_keeps_input(client, organization, owner):
    client.force_login(owner)

    response = client.post(
        f"/en/me/organizations/{organization.slug}/members/invite/",
        {"email": owner.email, "role": "editor"},
    )

    content = response.content.decode()
    assert response.status_code == 400
    assert f"{owner.email} is already a member of this organization." in content
    assert f'value="{owner.email}"' in content
    assert Invitation.objects.count() == 0


def test_invitation_accept_flow(client, organization, owner):
    invitee = UserFactory(username="colleague")
    client.force_login(owner)
    client.post(
        f"/en/me/organizations/{organization.slug}/members/invite/",
        {"email": invitee.email, "role": "editor"},
    )
    invitation = Invitation.objects.get()
    client.force_login(invitee)

    page = client.get(f"/en/invitations/{invitation.token}/")
    response = client.post(f"/en/invitations/{invitation.token}/")

    assert "Accept the invitation" in page.content.decode()
    assert response["Location"] == f"/en/me/organizations/{organization.slug}/"
    assert Membership.objects.get(user=invitee).role == "editor"


def test_remove_last_owner_view_shows_error(client, organization, owner):
    client.force_login(owner)
    membership = organization.memberships.get(user=owner)

    response = client.post(
        f"/en/me/organizations/{organization.slug}/members/{membership.pk}/remove/", follow=True
    )

    assert "The last owner cannot be removed." in response.content.decode()
    assert Membership.objects.filter(pk=membership.pk).exists()


# --- Permission matrix -------------------------------------------------------------------

ROLES = ["anonymous", "stranger", "viewer", "editor", "owner", "staff"]
# action → roles allowed (others get 403, anonymous a login redirect)
MATRIX = {
    "manage": {"viewer", "editor", "owner", "staff"},
    "edit": {"editor", "owner", "staff"},
    "document": {"viewer", "editor", "owner", "staff"},
    "invite": {"owner", "staff"},
}


@pytest.fixture
def matrix_org(db):
    organization = MembershipFactory(user=UserFactory(username="owner"), role="owner").organization
    for role in ("viewer", "editor"):
        MembershipFactory(organization=organization, user=UserFactory(username=role), role=role)
    OrganizationDocument.objects.create(
        organization=organization,
        kind="articles",
        file="x.pdf",
        original_name="x.pdf",
        content_type="application/pdf",
        size=3,
    )
    return organization


def _login(client, role, staff_user):
    if role == "anonymous":
        return
    if role == "staff":
        client.force_login(staff_user)
    elif role == "stranger":
        client.force_login(UserFactory(username="stranger"))
    else:
        client.force_login(UserFactory(username=role))


@pytest.mark.parametrize("action", list(MATRIX))
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(client, matrix_org, staff_user, settings, role, action):
    (settings.PRIVATE_MEDIA_ROOT).mkdir(parents=True, exist_ok=True)
    (settings.PRIVATE_MEDIA_ROOT / "x.pdf").write_bytes(b"abc")
    _login(client, role, staff_user)
    slug = matrix_org.slug
    url = {
        "manage": f"/en/me/organizations/{slug}/",
        "edit": f"/en/me/organizations/{slug}/edit/",
        "document": f"/en/me/organizations/{slug}/documents/{matrix_org.documents.get().pk}/",
        "invite": f"/en/me/organizations/{slug}/members/invite/",
    }[action]

    response = client.get(url)

    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/en/accounts/login/")
    elif role in MATRIX[action]:
        assert response.status_code == 200
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("role, allowed", [("viewer", False), ("editor", True), ("owner", True)])
def test_edit_post_by_role(client, matrix_org, role, allowed):
    client.force_login(UserFactory(username=role))

    response = client.post(
        f"/en/me/organizations/{matrix_org.slug}/edit/",
        {
            "name": matrix_org.name,
            "org_type": matrix_org.org_type,
            "registration_kind": "registered",
            "credit_code": matrix_org.credit_code,
            "region": matrix_org.region_id,
            "contact_name": "赵六",
            "contact_mobile": "13600001111",
            "mission": "新使命",
            "staff_count": 1,
            "volunteer_count": 2,
        },
    )

    matrix_org.refresh_from_db()
    assert (matrix_org.mission == "新使命") is allowed
    assert response.status_code == (302 if allowed else 403)


def test_editor_cannot_change_roles(client, matrix_org):
    viewer = matrix_org.memberships.get(role="viewer")
    client.force_login(UserFactory(username="editor"))

    response = client.post(
        f"/en/me/organizations/{matrix_org.slug}/members/{viewer.pk}/role/", {"role": "owner"}
    )

    viewer.refresh_from_db()
    assert response.status_code == 403
    assert viewer.role == "viewer"


def test_member_of_other_org_cannot_see_documents(
    client, matrix_org, organization, owner, settings
):
    client.force_login(UserFactory(username="viewer"))
    document = OrganizationDocument.objects.create(
        organization=organization,
        kind="articles",
        file="y.pdf",
        original_name="y.pdf",
        content_type="application/pdf",
        size=3,
    )

    response = client.get(document.get_absolute_url())

    assert response.status_code == 403


def test_invitation_page_of_revoked_invitation(client, organization):
    invitee = UserFactory(username="late")
    invitation = InvitationFactory(organization=organization, email=invitee.email)
    invitation.revoked_at = invitation.created_at
    invitation.save()
    client.force_login(invitee)

    response = client.post(f"/en/invitations/{invitation.token}/")

    assert response.status_code == 400
    assert "already been used or withdrawn" in response.content.decode()


def test_dashboard_lists_notifications(client, organization, owner):
    from organizations.models import VerificationEvent

    VerificationEvent.objects.create(
        organization=organization, action="returned", reason="证书不清晰"
    )
    client.force_login(owner)

    content = client.get("/en/me/").content.decode()

    assert "Returned — 证书不清晰" in content


def test_manage_page_links_incubation_record(client, organization, owner):
    from tests.factories.organizations import ResidencyFactory

    residency = ResidencyFactory(organization=organization)
    client.force_login(owner)

    content = client.get(f"/en/me/organizations/{organization.slug}/").content.decode()

    assert f'href="/en/me/incubation/{residency.pk}/"' in content


def test_create_organization_reports_all_field_errors_at_once(client, owner):
    client.force_login(owner)

    response = client.post(
        "/en/me/organizations/new/",
        _post_data(RegionFactory(), credit_code="123", contact_mobile="123", contact_name=""),
    )

    assert set(response.context["form"].errors) == {"credit_code", "contact_mobile", "contact_name"}
    assert 'aria-describedby="id_contact_mobile_error"' in response.content.decode()
    assert 'id="id_contact_mobile_error"' in response.content.decode()
