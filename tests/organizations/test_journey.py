"""The issue's “done when” journey, end to end through the site and the admin."""

import re

from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group
from django.core import mail

from organizations import roles
from organizations.models import (
    AssessmentDimension,
    IncubationStage,
    Invitation,
    Organization,
    Residency,
)
from tests.factories.organizations import (
    CohortFactory,
    RegionFactory,
    UserFactory,
    make_credit_code,
)
from tests.security.mfa import login_with_mfa

from .conftest import pdf_upload


def _link(message) -> str:
    return re.search(r"https?://[^/\s]+(/\S+)", message.body).group(1)


def test_new_user_to_incubation_journey(db, client, settings, django_capture_on_commit_callbacks):
    settings.MFA_REQUIRED_FOR_STAFF = True
    # Register and verify the email address.
    client.post(
        "/en/accounts/signup/",
        {
            "email": "founder@example.org",
            "username": "founder",
            "password1": "a-Long-pass-2026",
            "password2": "a-Long-pass-2026",
        },
    )
    confirm = _link(mail.outbox[-1])
    client.post(confirm)
    assert "_auth_user_id" in client.session

    # Create an organization, upload its certificate, invite a colleague, submit.
    region = RegionFactory()
    client.post(
        "/en/me/organizations/new/",
        {
            "name": "深圳市新苗社区服务中心",
            "org_type": "social_service",
            "registration_kind": "registered",
            "credit_code": make_credit_code(9001),
            "region": region.pk,
            "contact_name": "林一",
            "contact_mobile": "13500001111",
            "mission": "服务社区青少年",
            "staff_count": 2,
            "volunteer_count": 10,
        },
    )
    org = Organization.objects.get(name="深圳市新苗社区服务中心")
    client.post(
        f"/en/me/organizations/{org.slug}/documents/new/",
        {"kind": "registration_certificate", "file": pdf_upload()},
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/en/me/organizations/{org.slug}/members/invite/",
            {"email": "colleague@example.org", "role": "editor"},
        )
    client.post(f"/en/me/organizations/{org.slug}/submit/")
    org.refresh_from_db()
    assert org.status == "submitted"
    assert Invitation.objects.get().email == "colleague@example.org"

    # The colleague signs up with the invited address and accepts.
    colleague = client.__class__()
    colleague.post(
        "/en/accounts/signup/",
        {
            "email": "colleague@example.org",
            "username": "colleague",
            "password1": "a-Long-pass-2026",
            "password2": "a-Long-pass-2026",
        },
    )
    colleague.post(_link(mail.outbox[-1]))
    colleague.post(f"/en/invitations/{Invitation.objects.get().token}/")
    assert org.memberships.get(user__username="colleague").role == "editor"

    # Staff (with two-factor) verify it in the admin.
    officer = UserFactory(username="officer", is_staff=True)
    officer.groups.add(Group.objects.get(name=roles.PROGRAMME_OFFICER))
    staff = client.__class__()
    staff.force_login(officer)
    assert staff.get("/admin/")["Location"] == "/accounts/2fa/totp/activate/"
    TOTP.activate(officer, "JBSWY3DPEHPK3PXP")
    login_with_mfa(staff, officer)  # the admin needs the code in this session too
    staff.post(f"/admin/organizations_admin/verify/{org.pk}/", {"decision": "verify"})
    org.refresh_from_db()
    assert org.status == "verified"
    assert client.get(f"/en/organizations/{org.slug}/").status_code == 200

    # Apply to a cohort; staff admit and assign a mentor; agreement; stages; assessment.
    cohort = CohortFactory()
    client.post(
        f"/en/incubation/{cohort.slug}/", {"organization": org.pk, "motivation": "希望系统提升能力"}
    )
    residency = Residency.objects.get(organization=org)
    mentor = UserFactory(username="mentor-x")
    mentor.groups.add(Group.objects.get(name=roles.MENTOR))
    manage = f"/admin/residencies_admin/manage/{residency.pk}/"
    staff.post(manage, {"action": "admit"})
    staff.post(manage, {"action": "mentor", "mentor": mentor.pk})
    client.post(f"/en/me/incubation/{residency.pk}/agreement/", {"file": pdf_upload("协议.pdf")})
    staff.post(
        manage,
        {
            "action": "stage",
            "stage": IncubationStage.objects.get(code="moved_in").pk,
            "on_date": "2026-03-02",
        },
    )
    mentor_client = client.__class__()
    mentor_client.force_login(mentor)
    scores = {}
    for d in AssessmentDimension.objects.filter(is_active=True):
        scores[f"score_{d.pk}"] = "3"
        scores[f"evidence_{d.pk}"] = "查阅了制度文件"
    mentor_client.post(
        f"/en/me/incubation/{residency.pk}/assessments/", {"assessed_on": "2026-04-01", **scores}
    )

    residency.refresh_from_db()
    record = client.get(f"/en/me/incubation/{residency.pk}/").content.decode()
    assert (residency.status, residency.stage.code, residency.mentor) == (
        "admitted",
        "moved_in",
        mentor,
    )
    assert residency.assessments.count() == 1
    assert "<svg" in record and "Move-in" in record
