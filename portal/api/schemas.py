"""One schema per resource of the open-data API: the JSON, the CSV columns and the
OpenAPI document all come from these classes.

Each output schema reads a model instance (``resolve_*`` for what is not a plain
attribute), so Ninja validates every response against it. Money is always an integer
in minor units (fen for CNY) next to a ``currency``. No personal data: no phone
numbers, e-mail addresses or names of people.
"""

import types
import typing
from datetime import date, datetime
from typing import Any, Literal

from django.conf import settings
from django.utils import timezone
from ninja import Field, Schema
from pydantic import BaseModel

MAX_ID = 2**63 - 1
MAX_PAGE_SIZE = 100
MAX_CSV_PAGE_SIZE = 1000


def absolute(path: str) -> str:
    """A site path as an absolute URL (``SITE_URL``); other values unchanged."""
    return f"{settings.SITE_URL}{path}" if path.startswith("/") else path


def district_of(region):
    """The district a region lies in (itself, its parent or its grandparent)."""
    from organizations.enums import RegionLevel

    if region is None:
        return None
    if region.level == RegionLevel.DISTRICT:
        return region
    if region.level == RegionLevel.SUBDISTRICT:
        return region.parent
    if region.level == RegionLevel.COMMUNITY and region.parent is not None:
        return region.parent.parent
    return None


def one_of(values) -> Any:
    """A ``Literal`` of ``values``: the OpenAPI document lists them as an enum."""
    return Literal.__getitem__(tuple(str(v) for v in values))


# ----------------------------------------------------------------------------- outputs


class Error(Schema):
    detail: str
    errors: dict[str, list[str]] = {}


class Named(Schema):
    code: str
    name: str
    name_en: str = ""

    @staticmethod
    def resolve_name_en(obj) -> str:
        return getattr(obj, "name_en", "") or ""


class ServiceItemOut(Named):
    category: Named


class Funding(Schema):
    raised: int
    matched: int
    disbursed: int
    spent: int


class OrganizationRef(Schema):
    id: int
    name: str
    name_en: str
    url: str

    @staticmethod
    def resolve_url(obj) -> str:
        return absolute(obj.get_absolute_url())


class CallRef(Schema):
    id: int
    title: str
    url: str

    @staticmethod
    def resolve_url(obj) -> str:
        return absolute(obj.url or "")


class ProjectOut(Schema):
    id: int
    slug: str
    title: str
    summary: str
    status: str
    tier: str
    organization: OrganizationRef
    call: CallRef | None
    district: Named | None
    region: Named | None
    service_items: list[ServiceItemOut]
    goal_amount: int
    currency: str
    funding: Funding
    match_available: bool
    created_at: datetime
    url: str
    # English versions the organization gave ("" = none): after the older columns, so
    # CSV readers that count columns keep working.
    title_en: str
    summary_en: str

    @staticmethod
    def resolve_district(obj):
        return district_of(obj.region)

    @staticmethod
    def resolve_service_items(obj):
        return list(obj.service_items.all())

    @staticmethod
    def resolve_funding(obj):
        return obj.money

    @staticmethod
    def resolve_match_available(obj) -> bool:
        return bool(getattr(obj, "has_live_match", False))

    @staticmethod
    def resolve_url(obj) -> str:
        return absolute(obj.get_absolute_url())


class SponsorShare(Schema):
    name: str
    amount: int


class ProjectDetailOut(ProjectOut):
    matched_by: list[SponsorShare]
    community_needs: list[int]


class CallOut(Schema):
    id: int
    slug: str
    title: str
    language: str
    state: str
    opens_at: datetime
    closes_at: datetime
    total_budget: int
    per_project_cap: int
    currency: str
    url: str

    @staticmethod
    def resolve_language(obj) -> str:
        return obj.locale.language_code

    @staticmethod
    def resolve_state(obj) -> str:
        return obj.state(timezone.now())

    @staticmethod
    def resolve_url(obj) -> str:
        return absolute(obj.url or "")


class CallDetailOut(CallOut):
    summary: str
    eligible_org_types: list[str]
    verified_only: bool
    min_rating: str
    eligible_districts: list[Named]
    service_items: list[ServiceItemOut]
    review_started_at: datetime | None
    notice_published_at: datetime | None
    appeal_ends_at: datetime | None
    completed_at: datetime | None
    projects: list[int]

    @staticmethod
    def resolve_eligible_org_types(obj) -> list[str]:
        return list(obj.eligible_org_types)

    @staticmethod
    def resolve_eligible_districts(obj):
        return list(obj.eligible_districts.all())

    @staticmethod
    def resolve_service_items(obj):
        return list(obj.allowed_service_items.all())

    @staticmethod
    def resolve_projects(obj) -> list[int]:
        from projects.models import Project

        return list(
            Project.objects.public().filter(call=obj).order_by("pk").values_list("pk", flat=True)
        )


class OrganizationOut(Schema):
    id: int
    slug: str
    name: str
    name_en: str
    org_type: str
    district: Named | None
    region: Named | None
    rating: str
    service_areas: list[Named]
    project_count: int
    url: str

    @staticmethod
    def resolve_district(obj):
        return district_of(obj.region)

    @staticmethod
    def resolve_rating(obj) -> str:
        return obj.current_rating()

    @staticmethod
    def resolve_service_areas(obj):
        return list(obj.service_areas.all())

    @staticmethod
    def resolve_url(obj) -> str:
        return absolute(obj.get_absolute_url())


class OrganizationDetailOut(OrganizationOut):
    registration_kind: str
    credit_code: str | None
    established_on: date | None
    mission: str
    mission_en: str
    staff_count: int
    volunteer_count: int
    verified_at: datetime | None
    projects: list[int]

    @staticmethod
    def resolve_projects(obj) -> list[int]:
        return list(obj.projects.public().order_by("pk").values_list("pk", flat=True))


class Page(Schema):
    count: int
    page: int
    page_size: int
    pages: int
    next: str | None
    previous: str | None


class ProjectPage(Page):
    results: list[ProjectOut]


class CallPageOut(Page):
    results: list[CallOut]


class OrganizationPage(Page):
    results: list[OrganizationOut]


class StatsBucket(Schema):
    key: str
    name: str
    name_en: str
    projects: int
    raised: int
    matched: int


class SponsorTotal(Schema):
    name: str
    matched: int


class StatsOut(Schema):
    currency: str
    organizations: int
    projects: int
    calls: int
    donations: int
    totals: Funding
    by_category: list[StatsBucket]
    by_district: list[StatsBucket]
    by_year: list[StatsBucket]
    top_sponsors: list[SponsorTotal]


class Endpoint(Schema):
    path: str
    summary: str


class IndexOut(Schema):
    title: str
    version: str
    openapi: str
    docs: str
    endpoints: list[Endpoint]


# ------------------------------------------------------------------------------ inputs

# Codes and keywords: well-formed values that name nothing match nothing (an empty list);
# anything else is a 400.
CODE = r"^[0-9A-Za-z_-]{1,20}$"
KEYWORD = r"^[^\x00-\x1f\x7f]*$"


class FormatParam(Schema):
    format: Literal["json"] = Field("json", description="json (the only format here).")


class ListParams(Schema):
    page: int = Field(
        1,
        ge=1,
        le=1_000_000,
        description="Page number, from 1; a page past the last one is a 404.",
    )
    page_size: int = Field(
        20,
        ge=1,
        le=MAX_CSV_PAGE_SIZE,
        description=(
            f"Items per page: up to {MAX_PAGE_SIZE} in JSON (a larger value gives "
            f"{MAX_PAGE_SIZE}; the answer's page_size says so), up to "
            f"{MAX_CSV_PAGE_SIZE} with format=csv."
        ),
    )
    format: Literal["json", "csv"] = Field(
        "json", description="json (default) or csv (text/csv, UTF-8 with BOM)."
    )


def _static_choices(filterset, name: str) -> list[str]:
    return [str(value) for value, _label in filterset.base_filters[name].extra["choices"]]


def project_query_schema() -> type[ListParams]:
    """The directory's filters (``projects.directory.ProjectDirectoryFilter``) with their
    fixed choices as enums."""
    from projects.directory import ProjectDirectoryFilter as F

    class ProjectQuery(ListParams):
        q: str | None = Field(
            None, max_length=100, pattern=KEYWORD, description="Keyword (Chinese by bigrams)."
        )
        category: str | None = Field(None, pattern=CODE, description="Category code, e.g. A.")
        item: str | None = Field(None, pattern=CODE, description="Service item code, e.g. A01.")
        district: str | None = Field(None, pattern=CODE, description="District code.")
        subdistrict: str | None = Field(None, pattern=CODE, description="Sub-district code.")
        call: int | None = Field(None, ge=1, le=MAX_ID, description="Call id.")
        year: int | None = Field(None, ge=1900, le=2999, description="Year created.")
        status: one_of(_static_choices(F, "status")) | None = None
        tier: one_of(_static_choices(F, "tier")) | None = None
        org_type: one_of(_static_choices(F, "org_type")) | None = None
        progress: one_of(_static_choices(F, "progress")) | None = None
        accepting: bool | None = Field(None, description="true: taking donations now.")
        sort: one_of(_static_choices(F, "sort")) | None = Field(
            None, description="random is seeded per day."
        )

    return ProjectQuery


def organization_query_schema() -> type[ListParams]:
    from organizations.filters import OrganizationDirectoryFilter as F

    class OrganizationQuery(ListParams):
        q: str | None = Field(None, max_length=100, pattern=KEYWORD, description="Keyword.")
        org_type: one_of(_static_choices(F, "org_type")) | None = None
        district: int | None = Field(None, ge=1, le=MAX_ID, description="District id.")
        service_area: int | None = Field(None, ge=1, le=MAX_ID, description="Category id.")
        rating: one_of(_static_choices(F, "rating")) | None = Field(
            None, description="Current evaluation rating."
        )

    return OrganizationQuery


def call_query_schema() -> type[ListParams]:
    from projects.enums import CallState

    class CallQuery(ListParams):
        lang: one_of(code for code, _name in settings.LANGUAGES) = Field(
            settings.LANGUAGE_CODE, description="Language of the calls."
        )
        state: one_of(CallState.values) | None = None

    return CallQuery


# --------------------------------------------------------------------------------- CSV


def _schema_of(annotation) -> type[BaseModel] | None:
    """The schema class inside ``X``, ``X | None`` or ``list[X]``, if any."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        candidates = [a for a in args if a is not type(None)]
        return _schema_of(candidates[0]) if len(candidates) == 1 else None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def csv_columns(schema: type[BaseModel], prefix: str = "") -> list[str]:
    """The CSV header of ``schema``: nested objects flattened to ``parent.child``, lists
    kept as one column (their items joined by spaces)."""
    columns = []
    for name, field in schema.model_fields.items():
        nested = _schema_of(field.annotation)
        if nested is not None:
            columns += csv_columns(nested, f"{prefix}{name}.")
        else:
            columns.append(f"{prefix}{name}")
    return columns


def _list_item(value) -> str:
    if isinstance(value, dict):
        return str(value.get("code", value.get("id", "")))
    return str(value)


def csv_row(columns: list[str], item: dict) -> list:
    """One row of ``item`` (a validated schema dumped to JSON types) in ``columns``."""
    row = []
    for column in columns:
        value: Any = item
        for part in column.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, list):
            value = " ".join(_list_item(v) for v in value)
        row.append(value)
    return row
