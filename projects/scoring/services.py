"""Scoring use cases shared by review and evaluation: the staff check, a rubric's next
version and writing a sheet's scores with the audit diff."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from .models import VersionedRubric
from .numbers import num


def require_permission(by, permission: str) -> None:
    """Raise ``PermissionDenied`` (“Only programme staff may do this.”) unless ``by`` has
    ``permission``."""
    if not by.has_perm(permission):
        raise PermissionDenied(_("Only programme staff may do this."))


def _copied(instance: models.Model, skip: set[str]) -> dict:
    return {
        f.attname: getattr(instance, f.attname)
        for f in instance._meta.concrete_fields
        if not f.primary_key and f.name not in skip
    }


@transaction.atomic
def new_rubric_version(
    *, rubric: VersionedRubric, by, permission: str, action: str
) -> VersionedRubric:
    """Copy ``rubric`` and its child rows (``rubric.children``: criteria, dimensions,
    bonus and penalty items) as the next version of the same code.

    Guarantees: the copy is unused (editable), the original is untouched. Side effect:
    audit log ``action`` with both version numbers. Raises ``PermissionDenied`` unless
    ``by`` has ``permission``."""
    require_permission(by, permission)
    model = type(rubric)
    latest = model.objects.filter(code=rubric.code).order_by("-version").first()
    copy = model.objects.create(
        **_copied(rubric, {"version", "created_at"}), version=latest.version + 1
    )
    for name in rubric.children:
        relation = rubric._meta.get_field(name)
        parent = relation.field.name
        relation.related_model.objects.bulk_create(
            [
                relation.related_model(**_copied(child, {parent}), **{parent: copy})
                for child in getattr(rubric, name).all()
            ]
        )
    log(
        instance=copy,
        action=action,
        user=by,
        data={"from_version": rubric.version, "to_version": copy.version},
    )
    return copy


def apply_scores(
    *, sheet: models.Model, item_field: str, items: list, values: dict[int, Decimal | None]
) -> dict[str, list[str | None]]:
    """Make the sheet's stored score rows (``sheet.scores``) hold ``values`` (item id →
    value, ``None`` for none): a row per valued item, created, changed or deleted.

    ``item_field`` names the score row's key to the scored item (``criterion``,
    ``dimension``). Returns the audit diff, item name → ``[old, new]`` (``None`` for no
    value), holding only what changed. The caller validated the values and holds the
    sheet's row lock."""
    rows = sheet.scores
    model, sheet_field = rows.model, rows.field.name
    old = {getattr(row, f"{item_field}_id"): row.value for row in rows.all()}
    changes: dict[str, list[str | None]] = {}
    for item in items:
        new = values.get(item.pk)
        key = {sheet_field: sheet, item_field: item}
        if new is None:
            if item.pk in old:
                model.objects.filter(**key).delete()
                changes[item.name] = [num(old[item.pk]), None]
        elif old.get(item.pk) != new:
            model.objects.update_or_create(**key, defaults={"value": new})
            changes[item.name] = [None if item.pk not in old else num(old[item.pk]), num(new)]
    return changes
