"""Private files and generated reports on an S3-compatible bucket (a local moto server):
uploaded and generated into the bucket, never onto the local disk, served only through
the permission-checked views, never by URL."""

import hashlib
import io
import zipfile

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from storages.backends.s3 import S3Storage

from organizations.models import OrganizationDocument
from organizations.roles import PROGRAMME_OFFICER
from portal.core import reports
from portal.core.storage import PrivateStorage, get_private_storage, replace_file
from tests.factories.organizations import MembershipFactory, UserFactory
from tests.factories.projects import ProjectFactory
from tests.organizations.conftest import PDF_BYTES, pdf_upload

pytestmark = pytest.mark.django_db

# Every model field that holds a private file.
PRIVATE_FIELDS = [
    ("organizations.OrganizationDocument", "file"),
    ("organizations.Residency", "agreement"),
    ("projects.ApplicationAttachment", "file"),
    ("projects.NeedPhoto", "image"),
    ("delivery.Delivery", "agreement"),
    ("delivery.ReportPhoto", "image"),
    ("funding.Donation", "evidence"),
    ("funding.Expenditure", "receipt"),
]


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def _local_files(tmp_path) -> list[str]:
    return sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())


@pytest.fixture
def org_people(db):
    owner = UserFactory(username="s3-owner")
    organization = MembershipFactory(user=owner, organization__name="云端社工服务中心").organization
    other = UserFactory(username="s3-other")
    MembershipFactory(user=other, organization__name="别家社会组织")
    return organization, owner, other


@pytest.mark.parametrize(("model", "field"), PRIVATE_FIELDS)
def test_every_private_field_follows_the_configured_backend(s3_private, model, field):
    storage = apps.get_model(model)._meta.get_field(field).storage

    assert isinstance(storage, PrivateStorage)
    assert isinstance(storage.backend, S3Storage)
    assert storage.backend.bucket_name == s3_private.name
    with pytest.raises(ValueError, match="no URL"):
        storage.url("x.pdf")


def test_document_and_report_go_to_the_bucket_and_only_views_serve_them(
    s3_private, org_people, client, settings, tmp_path
):
    organization, owner, other = org_people
    project = ProjectFactory(organization=organization, title="云端助老项目")
    client.force_login(owner)

    upload = client.post(
        f"/en/me/organizations/{organization.slug}/documents/new/",
        {"kind": "articles", "file": pdf_upload("章程.pdf")},
    )
    document = OrganizationDocument.objects.get()
    report_url = reverse("report_download", args=["project", project.pk, "en"])
    # Not generated yet: the (immediate) task backend renders it during the request.
    report = client.get(report_url)
    document_download = client.get(document.get_absolute_url())

    assert upload.status_code == 302
    document_key = f"private/{document.file.name}"
    report_key = f"private/reports/project/project-{project.pk}-en.pdf"
    assert s3_private.keys() == sorted(
        [document_key, report_key, report_key.removesuffix(".pdf") + ".json"]
    )
    assert report.status_code == 200
    assert report["Content-Type"] == "application/pdf"
    assert report["Content-Disposition"] == f'attachment; filename="project-{project.pk}-en.pdf"'
    report_bytes = _body(report)
    assert report_bytes.startswith(b"%PDF-")
    assert report_bytes == s3_private.read(report_key)
    assert document_download.status_code == 200
    assert document_download["Content-Type"] == "application/pdf"
    assert _body(document_download) == PDF_BYTES == s3_private.read(document_key)
    # Private ACL: only the owner's grant, nothing for AllUsers.
    for key in (document_key, report_key):
        grants = s3_private.acl_grants(key)
        assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]
        assert all("URI" not in grant["Grantee"] for grant in grants)
    # Nothing on the local disk, no URL to hand out.
    assert _local_files(tmp_path) == []
    with pytest.raises(ValueError, match="no URL"):
        assert document.file.url is None
    # Staleness metadata lives beside the PDF in the bucket.
    meta = reports.read_sidecar("project", project.pk, "en")
    assert meta["sha256"] == hashlib.sha256(report_bytes).hexdigest()
    assert meta["fingerprint"] is not None
    assert reports.is_stale("project", project.pk, "en") is False

    anonymous = Client()
    for url in (document.get_absolute_url(), report_url):
        refused = anonymous.get(url)
        assert refused.status_code == 302
        assert "/login/" in refused["Location"]
    client.force_login(other)
    assert client.get(document.get_absolute_url()).status_code == 403
    assert client.get(report_url).status_code == 403


def test_regenerating_a_report_replaces_the_object_in_place(s3_private, org_people):
    organization, _owner, _other = org_people
    project = ProjectFactory(organization=organization)

    first = reports.store_report("project", project.pk, "zh-hans")
    stamp = reports.read_sidecar("project", project.pk, "zh-hans")["generated_at"]
    second = reports.generate_report.call("project", project.pk, "zh-hans", True)

    prefix = f"private/reports/project/project-{project.pk}-zh-hans"
    assert first == second == f"reports/project/project-{project.pk}-zh-hans.pdf"
    # Overwritten, not stored again under a new free name.
    assert s3_private.keys() == [f"{prefix}.json", f"{prefix}.pdf"]
    assert reports.read_sidecar("project", project.pk, "zh-hans")["generated_at"] != stamp
    assert not reports.is_stale("project", project.pk, "zh-hans")


def test_batch_zip_is_built_in_the_bucket_and_served_to_staff_only(
    s3_private, org_people, client, tmp_path
):
    organization, owner, _other = org_people
    project = ProjectFactory(organization=organization)
    staff = UserFactory(username="s3-staff", is_staff=True)
    staff.groups.add(Group.objects.get_or_create(name=PROGRAMME_OFFICER)[0])

    batch_id = reports.start_report_batch(
        [("project", project.pk, "zh-hans"), ("project", project.pk, "en")], label="S3"
    )
    client.force_login(staff)
    archive = client.get(reverse("report_batch", args=[batch_id]))
    client.force_login(owner)
    refused = client.get(reverse("report_batch", args=[batch_id]))

    assert reports.batch_status(batch_id)["state"] == "done"
    assert f"private/reports/batches/{batch_id}.zip" in s3_private.keys()
    assert archive.status_code == 200
    with zipfile.ZipFile(io.BytesIO(_body(archive))) as zipped:
        assert sorted(zipped.namelist()) == [
            f"project-{project.pk}-en.pdf",
            f"project-{project.pk}-zh-hans.pdf",
        ]
        assert zipped.read(f"project-{project.pk}-en.pdf") == s3_private.read(
            f"private/reports/project/project-{project.pk}-en.pdf"
        )
    assert refused.status_code == 403
    assert _local_files(tmp_path) == []


def test_the_default_backend_is_the_file_system_under_private_media_root(tmp_path):
    storage = get_private_storage()

    name = storage.save("probe/a.txt", io.BytesIO(b"x"))

    assert (tmp_path / "private" / name).read_bytes() == b"x"
    assert not isinstance(storage, S3Storage)


class _Broken(ContentFile):
    """Fails half-way through writing."""

    def chunks(self, chunk_size=None):
        yield b"half"
        raise OSError("disk went away")


def test_replace_file_on_disk_swaps_whole_files_and_leaves_no_temporary(tmp_path):
    replace_file("reports/x/a.json", b"old")
    replace_file("reports/x/a.json", b"new")
    with pytest.raises(OSError, match="disk went away"):
        replace_file("reports/x/a.json", _Broken(b""))

    folder = tmp_path / "private" / "reports" / "x"
    assert [p.name for p in folder.iterdir()] == ["a.json"]
    assert (folder / "a.json").read_bytes() == b"new"


def test_replace_file_on_s3_overwrites_the_same_key(s3_private):
    replace_file("reports/x/a.json", b"old")
    replace_file("reports/x/a.json", b"new")

    assert s3_private.keys() == ["private/reports/x/a.json"]
    assert s3_private.read("private/reports/x/a.json") == b"new"
