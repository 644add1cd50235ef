import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.factories.organizations import MembershipFactory, OrganizationFactory, UserFactory

PDF_BYTES = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< >>\n%%EOF\n"
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def pdf_upload(name="certificate.pdf", content=PDF_BYTES):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def png_bytes(size=(8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """Service-level messages are checked in English; requests pick their own language."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _clear_cache():
    """Login rate limits live in the cache: each test starts with none used."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def owner(db):
    return UserFactory(username="owner")


@pytest.fixture
def organization(owner):
    membership = MembershipFactory(user=owner, organization__name="彩虹桥青少年发展中心")
    return membership.organization


@pytest.fixture
def draft_organization(owner):
    return MembershipFactory(user=owner, organization__status="draft").organization


@pytest.fixture
def staff_user(db):
    from django.contrib.auth.models import Group

    from organizations import roles

    user = UserFactory(username="officer", is_staff=True)
    user.groups.add(Group.objects.get(name=roles.PROGRAMME_OFFICER))
    return user


@pytest.fixture
def other_org(db):
    return OrganizationFactory()


def count_queries(client, url) -> tuple[int, object]:
    """Queries one GET of ``url`` makes (after a warm-up request), and the response."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return len(queries.captured_queries), response
