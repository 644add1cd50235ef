"""Staff admin for reports: pick, per-object page, generate, call batch with progress."""

import io
import zipfile

import pytest
from django.urls import reverse

from portal.core import reports
from portal.report_hooks import call_report_jobs
from tests.factories.organizations import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, officer):
    client.force_login(officer)
    return client


def test_reports_admin_is_staff_only(client, reviewed):
    client.force_login(UserFactory(username="plain"))

    response = client.get(reverse("reports_admin:index"))

    assert response.status_code in (302, 403)


def test_pick_form_opens_object_page_and_rejects_unknown_id(staff_client, reviewed):
    from tests.factories.projects import ProjectFactory

    project = ProjectFactory(title="列表中的项目")
    url = reverse("reports_admin:index")
    index = staff_client.get(url).content.decode()
    assert reverse("reports_admin:object", args=["project", project.pk]) in index

    bad = staff_client.post(url, {"kind": "application", "obj_id": 999999})
    good = staff_client.post(url, {"kind": "application", "obj_id": reviewed[0].pk})

    assert bad.status_code == 200
    assert "999999" in bad.content.decode()
    assert good.status_code == 302
    assert good["Location"] == reverse("reports_admin:object", args=["application", reviewed[0].pk])


def test_object_page_lists_both_languages_and_generates(staff_client, reviewed):
    url = reverse("reports_admin:object", args=["application", reviewed[0].pk])

    before = staff_client.get(url).content.decode()
    staff_client.post(url, {"action": "generate"})
    after = staff_client.get(url).content.decode()

    for language in ("zh-hans", "en"):
        assert reverse("report_download", args=["application", reviewed[0].pk, language]) in before
        assert reports.report_exists("application", reviewed[0].pk, language)
    assert "Not generated yet" in before or "尚未生成" in before
    assert "Up to date" in after or "最新" in after


def test_call_batch_generates_every_report_of_the_call_and_zips(staff_client, reviewed, call):
    jobs = call_report_jobs(call)
    url = reverse("reports_admin:object", args=["call", call.pk])

    page = staff_client.get(url)
    response = staff_client.post(url, {"action": "batch"})

    assert page.status_code == 200
    assert sorted({kind for kind, _pk, _lang in jobs}) == ["application", "call"]
    assert len(jobs) == 2 * (1 + len(reviewed))
    assert response.status_code == 302
    batch_page = staff_client.get(response["Location"])
    batch_id = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    assert reports.batch_status(batch_id)["state"] == "done"
    assert reverse("report_batch", args=[batch_id]) in batch_page.content.decode()
    archive = staff_client.get(reverse("report_batch", args=[batch_id]))
    names = zipfile.ZipFile(io.BytesIO(b"".join(archive.streaming_content))).namelist()
    assert f"call-{call.pk}-zh-hans.pdf" in names
    assert f"application-{reviewed[0].pk}-en.pdf" in names
    assert len(names) == len(jobs)


def test_batch_progress_page_while_running(staff_client):
    batch_id = "a" * 32
    reports._write_status(batch_id, state="running", done=3, total=8, label="征集")

    content = staff_client.get(reverse("reports_admin:batch", args=[batch_id])).content.decode()

    assert '<progress id="batch-progress" max="8" value="3">' in content
    assert 'http-equiv="refresh"' in content


def test_call_page_explorer_has_reports_button(client, call):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))

    edit = client.get(reverse("wagtailadmin_pages:edit", args=[call.pk]))
    listing = client.get(reverse("wagtailadmin_explore", args=[call.get_parent().pk]))

    target = reverse("reports_admin:object", args=["call", call.pk]).encode()
    assert edit.status_code == 200
    assert target in edit.content
    assert target in listing.content


def test_application_listing_has_download_buttons(staff_client, reviewed):
    from projects.models import Application

    url = reverse(Application.snippet_viewset.get_url_name("list"))
    content = staff_client.get(url).content.decode()

    assert reverse("report_download", args=["application", reviewed[0].pk, "en"]) in content


def test_residency_listing_links_to_its_incubation_record(client):
    from tests.factories.organizations import ResidencyFactory

    residency = ResidencyFactory(status="admitted")
    client.force_login(UserFactory(username="root2", is_staff=True, is_superuser=True))

    content = client.get(reverse("residencies_admin:index")).content.decode()

    assert reverse("reports_admin:object", args=["incubation", residency.pk]) in content
