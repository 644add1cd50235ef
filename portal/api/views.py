"""Endpoints of the open-data API. Read-only, no login, cacheable.

Every list takes ``page`` (from 1) and ``page_size`` (1–100; up to 1,000 with
``format=csv``) and answers ``{count, page, page_size, pages, next, previous,
results}``, or CSV with ``?format=csv``. Bad input is a 400 with a JSON body
``{"detail": ..., "errors": {param: [messages]}}``, never a 500.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from functools import partial
from typing import Literal

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from django.utils.http import urlencode
from ninja import Field, NinjaAPI, Path, Query, Schema
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError

from . import schemas, serializers

API_CACHE_SECONDS = 300
MAX_ID = 2**63 - 1
MAX_PAGE_SIZE = 100
MAX_CSV_PAGE_SIZE = 1000

api = NinjaAPI(
    title="Open data · 公益创投资助平台",
    version="1",
    description=(
        "Calls, funded projects, verified organizations and aggregate statistics of the "
        "portal. Money is an integer in minor units (fen) with its currency. No personal "
        "data is published."
    ),
    urls_namespace="api-v1",
)


class BadRequest(Exception):
    def __init__(self, detail: str, errors: dict | None = None):
        self.detail = detail
        self.errors = errors or {}


@api.exception_handler(NinjaValidationError)
def _validation_error(request, exc):
    errors: dict[str, list[str]] = {}
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("query", "path", "filters")]
        errors.setdefault(".".join(loc) or "request", []).append(str(err.get("msg", "")))
    return api.create_response(
        request, {"detail": "Invalid request.", "errors": errors}, status=400
    )


@api.exception_handler(BadRequest)
def _bad_request(request, exc):
    return api.create_response(request, {"detail": exc.detail, "errors": exc.errors}, status=400)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return api.create_response(request, {"detail": "Not found.", "errors": {}}, status=404)


@api.exception_handler(HttpError)
def _http_error(request, exc):
    return api.create_response(request, {"detail": str(exc), "errors": {}}, status=exc.status_code)


def _cacheable(request, response: HttpResponse) -> HttpResponse:
    """Public caching headers plus a strong ETag; answers 304 when it matches."""
    if response.status_code == 200:
        etag = '"' + hashlib.sha256(response.content).hexdigest()[:32] + '"'
        response["ETag"] = etag
        patch_cache_control(response, public=True, max_age=API_CACHE_SECONDS)
        if etag in request.headers.get("If-None-Match", ""):
            not_modified = HttpResponse(status=304)
            not_modified["ETag"] = etag
            patch_cache_control(not_modified, public=True, max_age=API_CACHE_SECONDS)
            return not_modified
    return response


def _absolute(request: HttpRequest):
    base = settings.SITE_URL

    def build(path: str) -> str:
        return f"{base}{path}" if path.startswith("/") else path

    return build


class ListParams(Schema):
    page: int = Field(1, ge=1, le=1_000_000, description="Page number, from 1.")
    page_size: int = Field(
        20,
        ge=1,
        le=MAX_CSV_PAGE_SIZE,
        description="Items per page (≤ 100; ≤ 1000 with format=csv).",
    )
    format: Literal["json", "csv"] = Field("json", description="json (default) or csv.")


def _paginate(request, queryset, params: ListParams, fetch=None, count_queryset=None):
    if params.format == "json" and params.page_size > MAX_PAGE_SIZE:
        raise BadRequest(
            "Invalid request.", {"page_size": [f"At most {MAX_PAGE_SIZE} (1000 with format=csv)."]}
        )
    count = (queryset if count_queryset is None else count_queryset).count()
    pages = max(1, math.ceil(count / params.page_size))
    if params.page > pages:
        raise BadRequest("Invalid request.", {"page": [f"Out of range: there are {pages}."]})
    start = (params.page - 1) * params.page_size
    if fetch is None:
        items = list(queryset[start : start + params.page_size])
    else:
        items = fetch(queryset, start, start + params.page_size)

    def link(page: int) -> str:
        query = request.GET.copy()
        query["page"] = str(page)
        return f"{settings.SITE_URL}{request.path}?{urlencode(sorted(query.items()))}"

    meta = {
        "count": count,
        "page": params.page,
        "page_size": params.page_size,
        "pages": pages,
        "next": link(params.page + 1) if params.page < pages else None,
        "previous": link(params.page - 1) if params.page > 1 else None,
    }
    return items, meta


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    """CSV cells that a spreadsheet would run as a formula get a leading apostrophe."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) and not isinstance(value, int):
        return "'" + text
    return text


def _csv(request, name: str, header: list[str], rows: list[list]) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    response = HttpResponse(
        buffer.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return _cacheable(request, response)


def _json(request, data) -> HttpResponse:
    return _cacheable(request, api.create_response(request, data, status=200))


def _form_errors(form) -> dict[str, list[str]]:
    return {name: [str(m) for m in messages] for name, messages in form.errors.items()}


# ---------------------------------------------------------------------------- projects


class ProjectQuery(ListParams):
    q: str | None = Field(None, description="Keyword; Chinese is matched by bigrams.")
    category: str | None = Field(None, description="Service category code, e.g. A.")
    item: str | None = Field(None, description="Service item code, e.g. A01.")
    district: str | None = Field(None, description="District administrative code.")
    subdistrict: str | None = Field(None, description="Sub-district administrative code.")
    call: str | None = Field(None, description="Call id.")
    year: str | None = Field(None, description="Year the project was created.")
    status: str | None = Field(None, description="approved, in_progress, completed, terminated.")
    tier: str | None = Field(None, description="funded_matched or reserve.")
    org_type: str | None = Field(None, description="Organization type.")
    progress: str | None = Field(None, description="lt50, 50to99 or full.")
    accepting: str | None = Field(None, description="true: only projects taking donations now.")
    sort: str | None = Field(None, description="newest, raised, closest, ending, random.")


def _project_queryset():
    from projects.directory import public_projects, with_match_flag

    return with_match_flag(public_projects())


@api.get(
    "/projects",
    response={200: schemas.ProjectPage, 400: schemas.Error},
    summary="Public projects (same filters as the directory)",
    tags=["projects"],
)
def list_projects(request, filters: Query[ProjectQuery]):
    from projects.directory import attach_money, fetch_page, filter_projects

    filterset = filter_projects(request.GET)
    if not filterset.form.is_valid():
        raise BadRequest("Invalid filter.", _form_errors(filterset.form))
    items, meta = _paginate(
        request,
        filterset.qs,
        filters,
        fetch=partial(fetch_page, with_call=True),
        count_queryset=filterset.count_qs,
    )
    absolute = _absolute(request)
    results = [serializers.project(p, absolute) for p in attach_money(items)]
    if filters.format == "csv":
        return _csv(
            request,
            "projects",
            serializers.PROJECT_CSV,
            [serializers.project_row(r) for r in results],
        )
    return _json(request, {**meta, "results": results})


@api.get(
    "/projects/{project_id}",
    response={200: schemas.ProjectDetailOut, 404: schemas.Error, 400: schemas.Error},
    summary="One public project with its money",
    tags=["projects"],
)
def get_project(request, project_id: int = Path(..., ge=1, le=MAX_ID)):
    from projects.directory import attach_money, matched_by_sponsor
    from projects.enums import NeedStatus

    project = _project_queryset().filter(pk=project_id).first()
    if project is None:
        raise Http404
    attach_money([project])
    data = serializers.project(project, _absolute(request))
    data["matched_by"] = matched_by_sponsor(project)
    data["community_needs"] = list(
        project.addressed_needs.filter(status=NeedStatus.PUBLISHED).values_list("pk", flat=True)
    )
    return _json(request, data)


# ------------------------------------------------------------------------------- calls


class CallQuery(ListParams):
    lang: Literal["zh-hans", "en"] = Field("zh-hans", description="Language of the calls.")
    state: str | None = Field(
        None, description="upcoming, open, closed, under_review, public_notice, completed."
    )


def _calls(lang: str):
    from projects.models import CallPage

    return CallPage.objects.live().filter(locale__language_code=lang).select_related("locale")


@api.get(
    "/calls",
    response={200: schemas.CallPageOut, 400: schemas.Error},
    summary="Calls for projects, open ones first",
    tags=["calls"],
)
def list_calls(request, filters: Query[CallQuery]):
    from django.db.models import Case, IntegerField, Value, When
    from django.utils import timezone

    from projects.enums import CallState
    from projects.models import CallPage

    now = timezone.now()
    queryset = _calls(filters.lang)
    if filters.state:
        if filters.state not in CallState.values:
            raise BadRequest("Invalid filter.", {"state": [f"Unknown state {filters.state!r}."]})
        queryset = queryset.filter(CallPage.state_q(filters.state, now))
    queryset = queryset.annotate(
        open_first=Case(
            When(CallPage.state_q(CallState.OPEN, now), then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("open_first", "-opens_at", "pk")
    items, meta = _paginate(request, queryset, filters)
    absolute = _absolute(request)
    results = [serializers.call(c, absolute, now) for c in items]
    if filters.format == "csv":
        return _csv(
            request, "calls", serializers.CALL_CSV, [serializers.call_row(r) for r in results]
        )
    return _json(request, {**meta, "results": results})


@api.get(
    "/calls/{call_id}",
    response={200: schemas.CallDetailOut, 404: schemas.Error, 400: schemas.Error},
    summary="One call with its eligibility rules and projects",
    tags=["calls"],
)
def get_call(request, call_id: int = Path(..., ge=1, le=MAX_ID)):
    from projects.models import CallPage, Project

    call = (
        CallPage.objects.live()
        .select_related("locale")
        .prefetch_related("eligible_districts", "allowed_service_items__category")
        .filter(pk=call_id)
        .first()
    )
    if call is None:
        raise Http404
    data = serializers.call(call, _absolute(request))
    data.update(
        {
            "summary": call.summary,
            "eligible_org_types": list(call.eligible_org_types),
            "verified_only": call.verified_only,
            "min_rating": call.min_rating,
            "eligible_districts": [serializers.named(d) for d in call.eligible_districts.all()],
            "service_items": [
                serializers.service_item(i) for i in call.allowed_service_items.all()
            ],
            "review_started_at": call.review_started_at,
            "notice_published_at": call.notice_published_at,
            "appeal_ends_at": call.appeal_ends_at,
            "completed_at": call.completed_at,
            "projects": list(
                Project.objects.public()
                .filter(call=call)
                .order_by("pk")
                .values_list("pk", flat=True)
            ),
        }
    )
    return _json(request, data)


# ------------------------------------------------------------------------ organizations


class OrganizationQuery(ListParams):
    q: str | None = Field(None, description="Keyword; Chinese is matched by bigrams.")
    org_type: str | None = Field(None, description="Organization type.")
    district: str | None = Field(None, description="District id.")
    service_area: str | None = Field(None, description="Service category id.")
    rating: str | None = Field(None, description="Current evaluation rating, e.g. 5A.")


@api.get(
    "/organizations",
    response={200: schemas.OrganizationPage, 400: schemas.Error},
    summary="Verified organizations",
    tags=["organizations"],
)
def list_organizations(request, filters: Query[OrganizationQuery]):
    from organizations.filters import OrganizationDirectoryFilter
    from organizations.selectors import public_directory

    filterset = OrganizationDirectoryFilter(request.GET, queryset=public_directory())
    if not filterset.form.is_valid():
        raise BadRequest("Invalid filter.", _form_errors(filterset.form))
    items, meta = _paginate(request, filterset.qs, filters)
    absolute = _absolute(request)
    results = [serializers.organization(o, absolute) for o in items]
    if filters.format == "csv":
        return _csv(
            request, "organizations", serializers.ORG_CSV, [serializers.org_row(r) for r in results]
        )
    return _json(request, {**meta, "results": results})


@api.get(
    "/organizations/{organization_id}",
    response={200: schemas.OrganizationDetailOut, 404: schemas.Error, 400: schemas.Error},
    summary="One verified organization (no contact details)",
    tags=["organizations"],
)
def get_organization(request, organization_id: int = Path(..., ge=1, le=MAX_ID)):
    from organizations.selectors import public_directory

    org = public_directory().filter(pk=organization_id).first()
    if org is None:
        raise Http404
    data = serializers.organization(org, _absolute(request))
    data.update(
        {
            "registration_kind": org.registration_kind,
            "credit_code": org.credit_code,
            "established_on": org.established_on,
            "mission": org.mission,
            "staff_count": org.staff_count,
            "volunteer_count": org.volunteer_count,
            "verified_at": org.verified_at,
            "projects": list(org.projects.public().order_by("pk").values_list("pk", flat=True)),
        }
    )
    return _json(request, data)


# ------------------------------------------------------------------------------- stats


@api.get("/stats", response={200: schemas.StatsOut}, summary="Aggregate statistics", tags=["stats"])
def stats(request):
    from portal.stats import site_stats

    return _json(request, site_stats().as_dict())
