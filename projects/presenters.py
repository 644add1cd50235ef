"""Turn stored answers into labelled, human-readable rows (detail pages, staff diff)."""

from django.utils.translation import gettext as _

from organizations.models import Region
from portal.core.money import format_fen

from .enums import ApplicationStep, BudgetCategory, FundingSource, IndicatorKind
from .forms import STEP_FORMS
from .models import CommunityNeed, ServiceItem

CHOICE_LABELS = {
    "category": BudgetCategory,
    "source": FundingSource,
    "kind": IndicatorKind,
}


def _field_label(step: str, name: str) -> str:
    form_class, formset_class = STEP_FORMS[step]
    form = form_class or formset_class.form
    field = form.base_fields.get(name)
    return str(field.label) if field else name


class Lookups:
    """Names for ids mentioned in answers, fetched once per set of snapshots."""

    def __init__(self, snapshots: list[dict]):
        regions, items, needs = set(), set(), set()
        for snap in snapshots:
            answers = snap.get("answers", snap)
            basic = answers.get(ApplicationStep.BASIC, {})
            if basic.get("region"):
                regions.add(basic["region"])
            items.update(basic.get("service_items", []))
            needs.update(answers.get(ApplicationStep.NEEDS, {}).get("cited_needs", []))
        self.regions = dict(Region.objects.filter(pk__in=regions).values_list("pk", "name"))
        self.items = {i.pk: str(i) for i in ServiceItem.objects.filter(pk__in=items)}
        self.needs = dict(CommunityNeed.objects.filter(pk__in=needs).values_list("pk", "title"))

    def value(self, step: str, name: str, value) -> str:
        if name == "region":
            return self.regions.get(value, str(value))
        if name == "service_items":
            return "、".join(self.items.get(v, str(v)) for v in value)
        if name == "cited_needs":
            return "、".join(self.needs.get(v, str(v)) for v in value) or "—"
        if name == "unit_price":
            return format_fen(value)
        if name in CHOICE_LABELS and value in CHOICE_LABELS[name].values:
            return str(CHOICE_LABELS[name](value).label)
        if name == "confirmed":
            return _("Yes") if value else _("No")
        if value in ("", None):
            return "—"
        return str(value)


def present(answers: dict, lookups: Lookups) -> list[dict]:
    """Sections for display: ``{"step", "label", "fields": [(label, value)], "rows":
    {"headers": [...], "cells": [[...]]}}``."""
    sections = []
    for step in ApplicationStep.values:
        content = answers.get(step)
        section = {
            "step": step,
            "label": ApplicationStep(step).label,
            "fields": [],
            "rows": None,
            "complete": content is not None,
        }
        if content and "lines" in content:
            lines = content["lines"]
            names = list(lines[0]) if lines else []
            section["rows"] = {
                "headers": [_field_label(step, n) for n in names],
                "cells": [[lookups.value(step, n, line.get(n)) for n in names] for line in lines],
            }
        elif content:
            section["fields"] = [
                (_field_label(step, name), lookups.value(step, name, value))
                for name, value in content.items()
            ]
        sections.append(section)
    return sections


def flatten(snapshot: dict, lookups: Lookups) -> dict[str, str]:
    """``{"Budget · row 2 · Unit price": "¥12.00", ...}`` for diffing two snapshots."""
    flat = {
        _("Project title"): snapshot.get("title", ""),
        _("Amount requested"): format_fen(snapshot.get("requested_amount", 0)),
        _("Self-funding"): format_fen(snapshot.get("self_funding_amount", 0)),
        _("Attachments"): "、".join(snapshot.get("attachments", [])) or "—",
    }
    for step, content in snapshot.get("answers", {}).items():
        if step not in ApplicationStep.values:
            continue
        step_label = ApplicationStep(step).label
        if "lines" in content:
            for n, line in enumerate(content["lines"], start=1):
                for name, value in line.items():
                    key = _("%(step)s · row %(n)s · %(field)s") % {
                        "step": step_label,
                        "n": n,
                        "field": _field_label(step, name),
                    }
                    flat[key] = lookups.value(step, name, value)
        else:
            for name, value in content.items():
                flat[f"{step_label} · {_field_label(step, name)}"] = lookups.value(
                    step, name, value
                )
    return flat


def diff(old: dict, new: dict) -> list[dict]:
    """Changed entries between two snapshots, in the newer one's order."""
    lookups = Lookups([old, new])
    before, after = flatten(old, lookups), flatten(new, lookups)
    keys = list(after) + [k for k in before if k not in after]
    return [
        {"field": key, "before": before.get(key, "—"), "after": after.get(key, "—")}
        for key in keys
        if before.get(key) != after.get(key)
    ]
