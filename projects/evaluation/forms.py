"""Forms for residents' feedback, the evaluator's score sheet, staff actions and the rubric."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from projects.models import Project
from projects.scoring.forms import FrozenRubricForm, ScoreSheetForm
from projects.scoring.numbers import num

from .enums import AdjustmentKind, EvaluationKind
from .models import AdjustmentItem, Dimension, EvaluationRubric
from .services import COMMENT_MAX_LENGTH, RUNNING_STATUSES


class FeedbackForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How satisfied are you with this project?"),
        coerce=int,
        choices=[
            (5, _("5 – very satisfied")),
            (4, _("4 – satisfied")),
            (3, _("3 – neutral")),
            (2, _("2 – dissatisfied")),
            (1, _("1 – very dissatisfied")),
        ],
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose a rating from 1 to 5."),
            "invalid_choice": _("Choose a rating from 1 to 5."),
        },
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "What changed for you or your neighbours? Staff read every comment before it is shown."
        ),
    )


class SheetForm(ScoreSheetForm):
    """One field per dimension (``dimension_<id>``), a points and a reason field per
    bonus/penalty item (``points_<id>``, ``reason_<id>``) and the comments.

    Range and cap checks live in ``services.save_assessment`` (the only authority); the
    widgets carry min/max so browsers help too."""

    comments = forms.CharField(
        label=_("Comments"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    field_prefix = "dimension"

    def __init__(
        self,
        *args,
        dimensions: list[Dimension],
        items: list[AdjustmentItem],
        disabled: bool = False,
        **kwargs,
    ):
        self.dimensions, self.items = dimensions, items
        super().__init__(*args, scored=dimensions, disabled=disabled, **kwargs)

    def score_attrs(self, d) -> dict:
        return {"min": "0", "max": num(d.max_score), "step": "0.01", "inputmode": "decimal"}

    def add_fields(self) -> None:
        for item in self.items:
            self.fields[f"points_{item.pk}"] = forms.CharField(
                label=item.name,
                required=False,
                widget=forms.NumberInput(
                    attrs={
                        "min": "0",
                        "max": num(item.max_points),
                        "step": "0.01",
                        "inputmode": "decimal",
                    }
                ),
            )
            self.fields[f"reason_{item.pk}"] = forms.CharField(
                label=_("Reason"), required=False, widget=forms.TextInput(attrs={"size": 40})
            )

    def item_fields(self, kind: str):
        return [
            (i, self[f"points_{i.pk}"], self[f"reason_{i.pk}"])
            for i in self.items
            if i.kind == kind
        ]

    def bonus_fields(self):
        return self.item_fields(AdjustmentKind.BONUS)

    def penalty_fields(self):
        return self.item_fields(AdjustmentKind.PENALTY)


class OpenEvaluationForm(forms.Form):
    project = forms.ModelChoiceField(label=_("Project"), queryset=Project.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=EvaluationKind.choices)
    rubric = forms.ModelChoiceField(
        label=_("Evaluation rubric version"),
        queryset=EvaluationRubric.objects.all(),
        required=False,
        help_text=_("Leave empty for the newest default rubric."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = (
            Project.objects.filter(status__in=RUNNING_STATUSES)
            .select_related("organization")
            .order_by("title")
        )


class AssignForm(forms.Form):
    evaluator = forms.ModelChoiceField(
        label=_("Evaluator"), queryset=get_user_model().objects.none()
    )

    def __init__(self, *args, evaluators, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evaluator"].queryset = evaluators


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class FinaliseForm(forms.Form):
    conclusion = forms.CharField(
        label=_("Published conclusion"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown with the grade on the project page once published."),
    )


class ModerationForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Moderation decision"),
        widget=forms.RadioSelect,
        choices=[("publish", _("Publish")), ("reject", _("Reject"))],
    )
    note = forms.CharField(
        label=_("Note (required to reject)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


LOCKED_FIELDS = {"dimensions": ("max_score",), "adjustment_items": ("kind", "max_points")}


class RubricForm(FrozenRubricForm):
    """Once an evaluation uses a rubric version, its caps, dimensions' maxima and items are
    frozen: the form refuses such edits and points to “New version”."""

    frozen_fields = ("bonus_cap", "penalty_cap")
    frozen_children = LOCKED_FIELDS
    frozen_message = _(
        "Evaluations use this rubric version, so its caps, dimensions, maxima and "
        "items can no longer change. Use “New version” to make a changed copy."
    )
