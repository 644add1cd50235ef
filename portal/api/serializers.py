"""Model → plain dict for the API (and its CSV rendering). Only public facts."""

from __future__ import annotations

from django.utils import timezone

from organizations.enums import RegionLevel


def named(obj) -> dict | None:
    if obj is None:
        return None
    return {"code": obj.code, "name": obj.name, "name_en": getattr(obj, "name_en", "") or ""}


def district_of(region):
    if region is None:
        return None
    if region.level == RegionLevel.DISTRICT:
        return region
    if region.level == RegionLevel.SUBDISTRICT:
        return region.parent
    if region.level == RegionLevel.COMMUNITY and region.parent is not None:
        return region.parent.parent
    return None


def service_item(item) -> dict:
    return {**named(item), "category": named(item.category)}


def project(p, absolute) -> dict:
    money = p.money
    call = p.call
    return {
        "id": p.pk,
        "slug": p.slug,
        "title": p.title,
        "summary": p.summary,
        "status": p.status,
        "tier": p.tier,
        "organization": {
            "id": p.organization_id,
            "name": p.organization.name,
            "url": absolute(p.organization.get_absolute_url()),
        },
        "call": (
            {"id": call.pk, "title": call.title, "url": absolute(call.url or "")}
            if call is not None
            else None
        ),
        "district": named(district_of(p.region)),
        "region": named(p.region),
        "service_items": [service_item(i) for i in p.service_items.all()],
        "goal_amount": p.goal_amount,
        "currency": p.currency,
        "funding": {
            "raised": money.raised,
            "matched": money.matched,
            "disbursed": money.disbursed,
            "spent": money.spent,
        },
        "match_available": bool(getattr(p, "has_live_match", False)),
        "created_at": p.created_at,
        "url": absolute(p.get_absolute_url()),
    }


def call(c, absolute, now=None) -> dict:
    now = now or timezone.now()
    return {
        "id": c.pk,
        "slug": c.slug,
        "title": c.title,
        "language": c.locale.language_code,
        "state": c.state(now),
        "opens_at": c.opens_at,
        "closes_at": c.closes_at,
        "total_budget": c.total_budget,
        "per_project_cap": c.per_project_cap,
        "currency": c.currency,
        "url": absolute(c.url or ""),
    }


def organization(o, absolute) -> dict:
    return {
        "id": o.pk,
        "slug": o.slug,
        "name": o.name,
        "org_type": o.org_type,
        "district": named(district_of(o.region)),
        "region": named(o.region),
        "rating": o.current_rating(),
        "service_areas": [named(a) for a in o.service_areas.all()],
        "project_count": o.project_count,
        "url": absolute(o.get_absolute_url()),
    }


PROJECT_CSV = [
    "id",
    "title",
    "status",
    "tier",
    "organization",
    "district",
    "region",
    "service_items",
    "goal_amount",
    "raised",
    "matched",
    "disbursed",
    "spent",
    "currency",
    "created_at",
    "url",
]
CALL_CSV = [
    "id",
    "title",
    "language",
    "state",
    "opens_at",
    "closes_at",
    "total_budget",
    "per_project_cap",
    "currency",
    "url",
]
ORG_CSV = [
    "id",
    "name",
    "org_type",
    "district",
    "region",
    "rating",
    "service_areas",
    "project_count",
    "url",
]


def project_row(d: dict) -> list:
    f = d["funding"]
    return [
        d["id"],
        d["title"],
        d["status"],
        d["tier"],
        d["organization"]["name"],
        (d["district"] or {}).get("name", ""),
        (d["region"] or {}).get("name", ""),
        " ".join(i["code"] for i in d["service_items"]),
        d["goal_amount"],
        f["raised"],
        f["matched"],
        f["disbursed"],
        f["spent"],
        d["currency"],
        d["created_at"].isoformat(),
        d["url"],
    ]


def call_row(d: dict) -> list:
    return [
        d["id"],
        d["title"],
        d["language"],
        d["state"],
        d["opens_at"].isoformat(),
        d["closes_at"].isoformat(),
        d["total_budget"],
        d["per_project_cap"],
        d["currency"],
        d["url"],
    ]


def org_row(d: dict) -> list:
    return [
        d["id"],
        d["name"],
        d["org_type"],
        (d["district"] or {}).get("name", ""),
        (d["region"] or {}).get("name", ""),
        d["rating"],
        " ".join(a["code"] for a in d["service_areas"]),
        d["project_count"],
        d["url"],
    ]
