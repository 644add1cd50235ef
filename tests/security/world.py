"""A small demo-like world for the security tests: two organizations, a call, an
application under review with a conflicted reviewer, a project with a donation and its
receipt, private documents and photos, and one user per role."""

from dataclasses import dataclass, field

from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile

from organizations import roles

PASSWORD = "pass-word-123"  # noqa: S105 - UserFactory's test password
TOTP_SECRET = "JBSWY3DPEHPK3PXP"
PDF_BYTES = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< >>\n%%EOF\n"
# Seeded personal data that must never appear on a public page or in the API.
SECRET_MOBILE = "13987654321"
SECRET_EMAIL = "private.donor@example.net"
SECRET_DONOR_NAME = "隐名捐赠人王五"
SECRET_ADDRESS = "深圳市福田区保密路88号"
SECRET_CONTACT_EMAIL = "contact.person@example.net"


def png_bytes(size=(8, 8)) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format="PNG")
    return buffer.getvalue()


ROLES = (
    "anonymous",
    "applicant",
    "other_member",
    "reviewer",
    "conflicted",
    "evaluator",
    "finance",
    "staff",
    "superuser",
)


@dataclass
class World:
    users: dict = field(default_factory=dict)
    objects: dict = field(default_factory=dict)

    def __getattr__(self, name):
        try:
            return self.objects[name]
        except KeyError as exc:
            raise AttributeError(name) from exc


def _role_user(username, role=None, *, is_staff=False, is_superuser=False):
    from tests.factories.organizations import UserFactory

    user = UserFactory(username=username, is_staff=is_staff, is_superuser=is_superuser)
    if role:
        group = Group.objects.get_or_create(name=role)[0]
        group.permissions.add(Permission.objects.get(codename="access_admin"))
        user.groups.add(group)
    return user


def build_world() -> World:
    """Create the world through the apps' own services (needs ``site_pages``)."""
    from django.core.files.base import ContentFile
    from wagtail.documents import get_document_model
    from wagtail.images import get_image_model

    from funding.services.donations import mark_succeeded
    from funding.services.receipts import issue_receipt
    from organizations.services import add_document
    from projects import services as project_services
    from projects.enums import ApplicationStatus
    from projects.models import ApplicationAttachment, NeedPhoto
    from projects.review import services as review_services
    from tests.factories.funding import DonationFactory
    from tests.factories.organizations import (
        InvitationFactory,
        MembershipFactory,
        OrganizationFactory,
        ResidencyFactory,
    )
    from tests.factories.projects import CommunityNeedFactory, ProjectFactory, make_call
    from tests.factories.review import ApplicationFactory, ReviewSettingsFactory, make_rubric

    w = World()
    org = OrganizationFactory(
        name="彩虹桥社区服务中心",
        slug="rainbow",
        contact_mobile=SECRET_MOBILE,
        contact_email=SECRET_CONTACT_EMAIL,
    )
    other_org = OrganizationFactory(name="蓝天志愿者协会", slug="bluesky")
    applicant = MembershipFactory(organization=org, user__username="applicant").user
    other_member = MembershipFactory(organization=other_org, user__username="othermember").user
    w.users = {
        "anonymous": None,
        "applicant": applicant,
        "other_member": other_member,
        # Every admin role account has is_staff=True, as seed_demo and real operators set
        # it (it only opens the admin; the roles decide what data they get).
        "reviewer": _role_user("reviewer", roles.REVIEWER, is_staff=True),
        "conflicted": _role_user("conflicted", roles.REVIEWER, is_staff=True),
        "evaluator": _role_user("evaluator", roles.EVALUATOR, is_staff=True),
        "finance": _role_user("finance", roles.FINANCE_OFFICER, is_staff=True),
        "staff": _role_user("officer", roles.PROGRAMME_OFFICER, is_staff=True),
        "superuser": _role_user("root", is_staff=True, is_superuser=True),
    }
    for name in ("reviewer", "conflicted", "evaluator", "finance", "staff", "superuser"):
        TOTP.activate(w.users[name], TOTP_SECRET)

    call = make_call(slug="security-call")
    ReviewSettingsFactory(call=call, rubric=make_rubric((60, 40)), reviewers_per_application=2)
    draft = project_services.start_application(call=call, organization=org, by=applicant)
    reviewed = ApplicationFactory(
        call=call, organization=other_org, status=ApplicationStatus.ELIGIBLE
    )
    staff = w.users["staff"]
    assignment = review_services.assign_reviewer(
        application=reviewed, reviewer=w.users["reviewer"], by=staff
    )
    review_services.declare_conflict(assignment=assignment, by=w.users["reviewer"], conflict=False)
    recused = review_services.assign_reviewer(
        application=reviewed, reviewer=w.users["conflicted"], by=staff
    )
    review_services.declare_conflict(
        assignment=recused, by=w.users["conflicted"], conflict=True, reason="曾在该组织任职"
    )

    attachment = project_services.add_attachment(
        application=draft,
        upload=SimpleUploadedFile("plan.pdf", PDF_BYTES),
        description="计划书",
        content_type="application/pdf",
        by=applicant,
    )
    reviewed_attachment = ApplicationAttachment.objects.create(
        application=reviewed,
        file=ContentFile(PDF_BYTES, "budget.pdf"),
        original_name="budget.pdf",
        content_type="application/pdf",
        size=len(PDF_BYTES),
    )
    document = add_document(
        organization=org,
        by=applicant,
        kind="registration_certificate",
        upload=SimpleUploadedFile("cert.pdf", PDF_BYTES),
    )

    project = ProjectFactory(
        organization=org, call=call, slug="rainbow-meals", title="彩虹长者饭堂"
    )
    donation = DonationFactory(
        project=project,
        amount=20_000,
        donor_name=SECRET_DONOR_NAME,
        donor_email=SECRET_EMAIL,
        anonymity="hide_name",
        receipt_requested=True,
        receipt_name=SECRET_DONOR_NAME,
        receipt_address=SECRET_ADDRESS,
        user=applicant,
    )
    mark_succeeded(donation=donation, amount_received=20_000, currency="CNY")
    donation.refresh_from_db()
    receipt = issue_receipt(donation=donation)
    named = DonationFactory(
        project=project,
        amount=5_000,
        donor_name="公开捐赠人李四",
        donor_email="named.donor@example.net",
        anonymity="none",
    )
    mark_succeeded(donation=named, amount_received=5_000, currency="CNY")

    need = CommunityNeedFactory(author=other_member)
    photo = NeedPhoto.objects.create(
        need=need, image=ContentFile(png_bytes(), "need.png"), content_type="image/png"
    )
    residency = ResidencyFactory(organization=org)
    invitation = InvitationFactory(organization=org, email="invitee@example.org")
    wagtail_document = get_document_model().objects.create(
        title="公开文件", file=ContentFile(PDF_BYTES, "public.pdf")
    )
    wagtail_image = get_image_model().objects.create(
        title="图片", file=ContentFile(png_bytes((4, 4)), "public.png"), width=4, height=4
    )

    w.objects.update(
        org=org,
        other_org=other_org,
        call=call,
        draft=draft,
        reviewed=reviewed,
        assignment=assignment,
        recused=recused,
        attachment=attachment,
        document=document,
        project=project,
        donation=donation,
        receipt=receipt,
        named=named,
        need=need,
        residency=residency,
        photo=photo,
        reviewed_attachment=reviewed_attachment,
        invitation=invitation,
        wagtail_document=wagtail_document,
        wagtail_image=wagtail_image,
        owner_membership=org.memberships.get(user=applicant),
    )
    return w
