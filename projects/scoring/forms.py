"""Form pieces shared by the review score form and the evaluation score sheet, and the
rubric editor that refuses changes to a version already scored with."""

from django import forms
from wagtail.admin.forms import WagtailAdminModelForm


class ScoreSheetForm(forms.Form):
    """One number field per scored item, named ``<field_prefix>_<id>``, labelled with the
    item's name and described by its description; ``score_attrs`` gives the widget's
    min/max/step so browsers help too (the services stay the only authority).

    ``add_fields`` adds a subclass's other per-item fields; ``disabled`` makes the whole
    sheet read-only."""

    field_prefix = "score"

    def __init__(self, *args, scored: list, disabled: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.scored = scored
        for item in scored:
            self.fields[f"{self.field_prefix}_{item.pk}"] = forms.CharField(
                label=item.name,
                required=False,
                help_text=item.description,
                widget=forms.NumberInput(attrs=self.score_attrs(item)),
            )
        self.add_fields()
        if disabled:
            for field in self.fields.values():
                field.disabled = True

    def score_attrs(self, item) -> dict:
        return {}

    def add_fields(self) -> None:
        """Hook for fields that follow the score fields."""

    def score_fields(self):
        return [(item, self[f"{self.field_prefix}_{item.pk}"]) for item in self.scored]

    def raw(self, name: str) -> str:
        return (self.data.get(name) or "").strip()

    def raw_scores(self) -> dict[int, str]:
        return {item.pk: self.raw(f"{self.field_prefix}_{item.pk}") for item in self.scored}


class FrozenRubricForm(WagtailAdminModelForm):
    """Once a rubric version is used (``instance.is_locked``), the form refuses edits to
    ``frozen_fields`` of the rubric and, in the child formsets named by
    ``frozen_children``, added or deleted rows and edits to the listed fields; it says
    ``frozen_message``, which points to “New version”."""

    frozen_fields: tuple[str, ...] = ()
    frozen_children: dict[str, tuple[str, ...]] = {}
    frozen_message = ""

    def is_valid(self):
        # Child formsets are validated after the parent form's clean(), so the check
        # runs once everything is cleaned.
        valid = super().is_valid()
        if valid and self.instance.is_locked and self._changes_frozen_fields():
            self.add_error(None, self.frozen_message)
            return False
        return valid

    def _changes_frozen_fields(self) -> bool:
        if set(self.frozen_fields) & set(self.changed_data):
            return True
        for name, fields in self.frozen_children.items():
            formset = self.formsets.get(name)
            if formset is None:
                continue
            for form in formset.forms:
                if not form.has_changed():
                    continue
                if form.instance.pk is None or form.cleaned_data.get("DELETE"):
                    return True
                if set(form.changed_data) & set(fields):
                    return True
        return False
