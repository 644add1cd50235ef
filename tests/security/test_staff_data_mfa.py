"""#14 reproductions 5 and 7: staff-only data served outside /admin/ needs a session that
passed two-factor (``MFA_REQUIRED_FOR_STAFF``), and the admin's snippet choosers list
only what the user may see. Role accounts are built as seed_demo builds them
(``is_staff=True``, the role's group with admin access)."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from organizations import roles
from organizations.services import add_document
from tests.factories.organizations import MembershipFactory, OrganizationFactory, UserFactory
from tests.factories.projects import CommunityNeedFactory
from tests.reports.sample_kind import sample_report_kind

from .mfa import login_with_mfa
from .world import PDF_BYTES, TOTP_SECRET

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _mfa_required(settings):
    settings.MFA_REQUIRED_FOR_STAFF = True


def _role_user(username, role, *, totp=True):
    user = UserFactory(username=username, is_staff=True)
    group = Group.objects.get_or_create(name=role)[0]
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    user.groups.add(group)
    if totp:
        TOTP.activate(user, TOTP_SECRET)
    return user


@pytest.fixture
def document():
    org = OrganizationFactory(slug="mfa-org")
    owner = MembershipFactory(organization=org).user
    doc = add_document(
        organization=org,
        by=owner,
        kind="registration_certificate",
        upload=SimpleUploadedFile("cert.pdf", PDF_BYTES),
    )
    return doc, owner


def _document_url(doc):
    return reverse("organizations:document", args=[doc.organization.slug, doc.pk])


def test_officer_without_authenticator_is_sent_to_enrol_before_documents(client, document):
    doc, _owner = document
    client.force_login(_role_user("officer", roles.PROGRAMME_OFFICER, totp=False))

    response = client.get(_document_url(doc))

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_officer_session_without_code_is_sent_to_reauthenticate(client, document):
    doc, _owner = document
    client.force_login(_role_user("officer", roles.PROGRAMME_OFFICER))

    response = client.get(_document_url(doc))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_reauthenticate") + "?next=")


def test_officer_session_that_passed_the_code_gets_the_document(client, document):
    doc, _owner = document
    login_with_mfa(client, _role_user("officer", roles.PROGRAMME_OFFICER))

    response = client.get(_document_url(doc))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES


def test_member_without_a_role_needs_no_second_factor(client, document):
    doc, owner = document
    client.force_login(owner)

    response = client.get(_document_url(doc))

    assert response.status_code == 200


def test_officer_needs_the_code_for_a_pending_need_but_not_a_published_one(client, site_pages):
    pending = CommunityNeedFactory(status="pending", title="待审核的需求")
    published = CommunityNeedFactory(status="published", title="已公开的需求")
    client.force_login(_role_user("officer", roles.PROGRAMME_OFFICER))

    refused = client.get(pending.get_absolute_url())
    public = client.get(published.get_absolute_url())

    assert refused.status_code == 302
    assert refused["Location"].startswith(reverse("mfa_reauthenticate"))
    assert public.status_code == 200


def test_report_download_by_staff_needs_the_code(client):
    client.force_login(_role_user("officer", roles.PROGRAMME_OFFICER))

    with sample_report_kind():
        response = client.get(reverse("report_download", args=["sample", 1, "zh-hans"]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_reauthenticate"))


# --- choosers (reproduction 7) ----------------------------------------------------------


@pytest.fixture
def chooser_world(site_pages):
    from projects import services as project_services
    from tests.factories.projects import make_call

    org = OrganizationFactory(slug="chooser-org")
    owner = MembershipFactory(organization=org).user
    draft = project_services.start_application(
        call=make_call(slug="chooser-call"), organization=org, by=owner
    )
    draft.title = "机密草稿申报书"
    draft.save(update_fields=["title"])
    pending = CommunityNeedFactory(status="pending", title="待审核的秘密需求")
    declined = CommunityNeedFactory(status="declined", title="已驳回的秘密需求")
    published = CommunityNeedFactory(status="published", title="已公开的需求条目")
    return draft, pending, declined, published


@pytest.mark.parametrize(
    "role", [roles.REVIEWER, roles.EVALUATOR, roles.FINANCE_OFFICER, roles.MENTOR]
)
def test_choosers_hide_drafts_and_unpublished_needs_from_other_roles(client, chooser_world, role):
    draft, pending, declined, published = chooser_world
    login_with_mfa(client, _role_user("chooser", role))

    applications = client.get("/admin/snippets/choose/projects/application/")
    chosen = client.get(f"/admin/snippets/choose/projects/application/chosen/{draft.pk}/")
    needs = client.get("/admin/snippets/choose/projects/communityneed/")
    chosen_need = client.get(f"/admin/snippets/choose/projects/communityneed/chosen/{pending.pk}/")

    assert applications.status_code == 200
    assert draft.title not in applications.json()["html"]
    assert chosen.status_code == 404
    assert pending.title not in needs.json()["html"]
    assert declined.title not in needs.json()["html"]
    assert published.title in needs.json()["html"]
    assert chosen_need.status_code == 404


def test_choosers_list_everything_for_programme_staff(client, chooser_world):
    draft, pending, _declined, _published = chooser_world
    login_with_mfa(client, _role_user("officer", roles.PROGRAMME_OFFICER))

    applications = client.get("/admin/snippets/choose/projects/application/")
    needs = client.get("/admin/snippets/choose/projects/communityneed/")

    assert draft.title in applications.json()["html"]
    assert pending.title in needs.json()["html"]
