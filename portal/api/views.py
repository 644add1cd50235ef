"""Endpoints of the open-data API. Read-only, no login, cacheable.

Every endpoint returns model instances (or plain data) that Ninja validates against the
schema in ``schemas.py`` named in its ``response``; the CSV of a list is the same
validated data, flattened by the columns the schema defines. Query parameters are
validated by the schemas too (fixed choices are enums), so the OpenAPI document at
``openapi.json`` states every value the server accepts. Bad input is a 400 with
``{"detail": ..., "errors": {param: [messages]}}``, never a 500.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from functools import wraps

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import urlencode
from ninja import NinjaAPI, Path, Query, Swagger
from ninja.decorators import decorate_view
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError

from portal.core.spreadsheet import neutralise_formula

from . import schemas
from .schemas import MAX_ID, MAX_PAGE_SIZE, FormatParam, ListParams

API_CACHE_SECONDS = 300
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"

api = NinjaAPI(
    title="Open data · 公益创投资助平台",
    version="1",
    description=(
        "Calls, funded projects, verified organizations and aggregate statistics of the "
        "portal. Money is an integer in minor units (fen) with its currency. No personal "
        "data is published. Lists also answer `format=csv` (text/csv, UTF-8 with BOM)."
    ),
    urls_namespace="api-v1",
    # Swagger UI from our own static files ("ninja" is an installed app): no CDN, no
    # inline script, so it works under the site's strict Content-Security-Policy.
    docs=Swagger(settings={"defaultModelsExpandDepth": 0}),
)


class BadRequest(Exception):
    def __init__(self, detail: str, errors: dict | None = None):
        self.detail = detail
        self.errors = errors or {}


class PageNotFound(Exception):
    def __init__(self, pages: int):
        self.pages = pages


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


@api.exception_handler(PageNotFound)
def _page_not_found(request, exc):
    errors = {"page": [f"Out of range: there are {exc.pages}."]}
    return api.create_response(request, {"detail": "Not found.", "errors": errors}, status=404)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return api.create_response(request, {"detail": "Not found.", "errors": {}}, status=404)


@api.exception_handler(HttpError)
def _http_error(request, exc):
    return api.create_response(request, {"detail": str(exc), "errors": {}}, status=exc.status_code)


def cacheable(view):
    """Public caching headers plus a strong ETag on a 200; a matching ``If-None-Match``
    gets ``304 Not Modified``."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code != 200:
            return response
        etag = '"' + hashlib.sha256(response.content).hexdigest()[:32] + '"'
        if etag in request.headers.get("If-None-Match", ""):
            response = HttpResponse(status=304)
        response["ETag"] = etag
        patch_cache_control(response, public=True, max_age=API_CACHE_SECONDS)
        return response

    return wrapper


def _list_responses(page_schema) -> dict:
    return {200: page_schema, 400: schemas.Error, 404: schemas.Error}


def _csv_documented(summary: str) -> dict:
    """OpenAPI: a list also answers CSV (``format=csv``)."""
    return {
        "responses": {
            200: {
                "description": summary,
                "content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    }


def _paginate(request, queryset, params: ListParams, fetch=None, count_queryset=None):
    """(items of the requested page, the page's metadata). A page past the last one
    raises :class:`PageNotFound`; JSON pages hold at most ``MAX_PAGE_SIZE`` items."""
    page_size = params.page_size
    if params.format == "json":
        page_size = min(page_size, MAX_PAGE_SIZE)
    count = (queryset if count_queryset is None else count_queryset).count()
    pages = max(1, math.ceil(count / page_size))
    if params.page > pages:
        raise PageNotFound(pages)
    start = (params.page - 1) * page_size
    if fetch is None:
        items = list(queryset[start : start + page_size])
    else:
        items = fetch(queryset, start, start + page_size)

    def link(page: int) -> str:
        query = request.GET.copy()
        query["page"] = str(page)
        return f"{settings.SITE_URL}{request.path}?{urlencode(sorted(query.items()))}"

    meta = {
        "count": count,
        "page": params.page,
        "page_size": page_size,
        "pages": pages,
        "next": link(params.page + 1) if params.page < pages else None,
        "previous": link(params.page - 1) if params.page > 1 else None,
    }
    return items, meta


def _csv(name: str, schema, items) -> HttpResponse:
    """``items`` validated by ``schema`` and written as CSV, one column per schema field."""
    columns = schemas.csv_columns(schema)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for item in items:
        data = schema.from_orm(item).model_dump(mode="json")
        writer.writerow([neutralise_formula(v) for v in schemas.csv_row(columns, data)])
    response = HttpResponse(buffer.getvalue().encode("utf-8-sig"), content_type=CSV_MEDIA_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def _filter_data(params, names) -> QueryDict:
    """The validated parameters as the directory FilterSet reads them."""
    data = QueryDict(mutable=True)
    for name in names:
        value = getattr(params, name)
        if value is not None:
            data[name] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return data


def _filtered(filterset, lookups: set[str]):
    """The FilterSet's queryset; a well-formed code or id that names nothing (the
    ``lookups`` fields) matches nothing. Any other refusal is a 400."""
    if filterset.form.is_valid():
        return filterset.qs, filterset
    invalid = set(filterset.form.errors)
    if invalid <= lookups:
        return filterset.queryset.none(), None
    errors = {name: [str(m) for m in messages] for name, messages in filterset.form.errors.items()}
    raise BadRequest("Invalid filter.", errors)


# ------------------------------------------------------------------------------- index


@api.get(
    "/",
    response={200: schemas.IndexOut, 400: schemas.Error},
    summary="This index",
    tags=["index"],
)
@decorate_view(cacheable)
def index(request, params: Query[FormatParam]):
    endpoints = [
        {"path": f"/api/v1{path}", "summary": summary}
        for path, summary in (
            ("/projects", "Public projects (same filters as the directory)"),
            ("/projects/{id}", "One public project with its money"),
            ("/calls", "Calls for projects, open ones first"),
            ("/calls/{id}", "One call with its eligibility rules and projects"),
            ("/organizations", "Verified organizations"),
            ("/organizations/{id}", "One verified organization (no contact details)"),
            ("/stats", "Aggregate statistics"),
        )
    ]
    return {
        "title": api.title,
        "version": api.version,
        "openapi": schemas.absolute(reverse("api-v1:openapi-json")),
        "docs": schemas.absolute(reverse("api-v1:openapi-view")),
        "endpoints": endpoints,
    }


# ---------------------------------------------------------------------------- projects

ProjectQuery = schemas.project_query_schema()
PROJECT_FILTERS = [n for n in ProjectQuery.model_fields if n not in ListParams.model_fields]
PROJECT_LOOKUPS = {"category", "item", "district", "subdistrict", "call", "year"}


def _project_queryset():
    from projects.directory import public_projects, with_match_flag

    return with_match_flag(public_projects())


@api.get(
    "/projects",
    response=_list_responses(schemas.ProjectPage),
    summary="Public projects (same filters as the directory)",
    tags=["projects"],
    openapi_extra=_csv_documented("A page of projects (JSON or CSV)."),
)
@decorate_view(cacheable)
def list_projects(request, filters: Query[ProjectQuery]):
    from functools import partial

    from projects.directory import attach_money, fetch_page, filter_projects

    filterset = filter_projects(_filter_data(filters, PROJECT_FILTERS))
    queryset, valid = _filtered(filterset, PROJECT_LOOKUPS)
    items, meta = _paginate(
        request,
        queryset,
        filters,
        fetch=partial(fetch_page, with_call=True) if valid else None,
        count_queryset=valid.count_qs if valid else None,
    )
    items = attach_money(items)
    if filters.format == "csv":
        return _csv("projects", schemas.ProjectOut, items)
    return {**meta, "results": items}


@api.get(
    "/projects/{project_id}",
    response={200: schemas.ProjectDetailOut, 404: schemas.Error, 400: schemas.Error},
    summary="One public project with its money",
    tags=["projects"],
)
@decorate_view(cacheable)
def get_project(request, params: Query[FormatParam], project_id: int = Path(..., ge=1, le=MAX_ID)):
    from projects.directory import attach_money, matched_by_sponsor
    from projects.enums import NeedStatus

    project = _project_queryset().filter(pk=project_id).first()
    if project is None:
        raise Http404
    attach_money([project])
    project.matched_by = matched_by_sponsor(project)
    project.community_needs = list(
        project.addressed_needs.filter(status=NeedStatus.PUBLISHED).values_list("pk", flat=True)
    )
    return project


# ------------------------------------------------------------------------------- calls

CallQuery = schemas.call_query_schema()


def _calls(lang: str):
    from projects.models import CallPage

    return CallPage.objects.live().filter(locale__language_code=lang).select_related("locale")


@api.get(
    "/calls",
    response=_list_responses(schemas.CallPageOut),
    summary="Calls for projects, open ones first",
    tags=["calls"],
    openapi_extra=_csv_documented("A page of calls (JSON or CSV)."),
)
@decorate_view(cacheable)
def list_calls(request, filters: Query[CallQuery]):
    from django.db.models import Case, IntegerField, Value, When
    from django.utils import timezone

    from projects.enums import CallState
    from projects.models import CallPage

    now = timezone.now()
    queryset = _calls(filters.lang)
    if filters.state:
        queryset = queryset.filter(CallPage.state_q(filters.state, now))
    queryset = queryset.annotate(
        open_first=Case(
            When(CallPage.state_q(CallState.OPEN, now), then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("open_first", "-opens_at", "pk")
    items, meta = _paginate(request, queryset, filters)
    if filters.format == "csv":
        return _csv("calls", schemas.CallOut, items)
    return {**meta, "results": items}


@api.get(
    "/calls/{call_id}",
    response={200: schemas.CallDetailOut, 404: schemas.Error, 400: schemas.Error},
    summary="One call with its eligibility rules and projects",
    tags=["calls"],
)
@decorate_view(cacheable)
def get_call(request, params: Query[FormatParam], call_id: int = Path(..., ge=1, le=MAX_ID)):
    from projects.models import CallPage

    call = (
        CallPage.objects.live()
        .select_related("locale")
        .prefetch_related("eligible_districts", "allowed_service_items__category")
        .filter(pk=call_id)
        .first()
    )
    if call is None:
        raise Http404
    return call


# ------------------------------------------------------------------------ organizations

OrganizationQuery = schemas.organization_query_schema()
ORGANIZATION_FILTERS = [
    n for n in OrganizationQuery.model_fields if n not in ListParams.model_fields
]
ORGANIZATION_LOOKUPS = {"district", "service_area"}


@api.get(
    "/organizations",
    response=_list_responses(schemas.OrganizationPage),
    summary="Verified organizations",
    tags=["organizations"],
    openapi_extra=_csv_documented("A page of organizations (JSON or CSV)."),
)
@decorate_view(cacheable)
def list_organizations(request, filters: Query[OrganizationQuery]):
    from organizations.filters import OrganizationDirectoryFilter
    from organizations.selectors import public_directory

    filterset = OrganizationDirectoryFilter(
        _filter_data(filters, ORGANIZATION_FILTERS), queryset=public_directory()
    )
    queryset, _valid = _filtered(filterset, ORGANIZATION_LOOKUPS)
    items, meta = _paginate(request, queryset, filters)
    if filters.format == "csv":
        return _csv("organizations", schemas.OrganizationOut, items)
    return {**meta, "results": items}


@api.get(
    "/organizations/{organization_id}",
    response={200: schemas.OrganizationDetailOut, 404: schemas.Error, 400: schemas.Error},
    summary="One verified organization (no contact details)",
    tags=["organizations"],
)
@decorate_view(cacheable)
def get_organization(
    request, params: Query[FormatParam], organization_id: int = Path(..., ge=1, le=MAX_ID)
):
    from organizations.selectors import public_directory

    organization = public_directory().filter(pk=organization_id).first()
    if organization is None:
        raise Http404
    return organization


# ------------------------------------------------------------------------------- stats


@api.get(
    "/stats",
    response={200: schemas.StatsOut, 400: schemas.Error},
    summary="Aggregate statistics",
    tags=["stats"],
)
@decorate_view(cacheable)
def stats(request: HttpRequest, params: Query[FormatParam]):
    from portal.stats import site_stats

    return site_stats().as_dict()
