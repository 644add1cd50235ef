"""Response shapes of the open-data API (they feed the OpenAPI schema).

Money is always an integer in minor units (fen for CNY) next to a ``currency``.
No personal data: no phone numbers, e-mail addresses or names of people.
"""

from datetime import date, datetime

from ninja import Schema


class Error(Schema):
    detail: str
    errors: dict[str, list[str]] = {}


class Named(Schema):
    code: str
    name: str
    name_en: str = ""


class ServiceItemOut(Schema):
    code: str
    name: str
    name_en: str = ""
    category: Named


class Funding(Schema):
    raised: int
    matched: int
    disbursed: int
    spent: int


class OrganizationRef(Schema):
    id: int
    name: str
    url: str


class CallRef(Schema):
    id: int
    title: str
    url: str


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


class OrganizationOut(Schema):
    id: int
    slug: str
    name: str
    org_type: str
    district: Named | None
    region: Named | None
    rating: str
    service_areas: list[Named]
    project_count: int
    url: str


class OrganizationDetailOut(OrganizationOut):
    registration_kind: str
    credit_code: str | None
    established_on: date | None
    mission: str
    staff_count: int
    volunteer_count: int
    verified_at: datetime | None
    projects: list[int]


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
