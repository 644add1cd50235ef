"""Forms for declarations, scoring, staff actions and the rubric editor."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from projects.enums import ApplicationStatus
from projects.models import Application
from projects.scoring.forms import FrozenRubricForm, ScoreSheetForm
from projects.scoring.numbers import num
from projects.uploads import ATTACHMENT_TYPES, check_upload

from .enums import Recommendation
from .models import Criterion

LOCKED_CRITERION_FIELDS = (
    "weight",
    "scale_min",
    "scale_max",
    "scale_step",
    "required",
    "independent",
    "is_key",
)


class DeclarationForm(forms.Form):
    conflict = forms.TypedChoiceField(
        label=_("Conflict of interest"),
        choices=[
            ("no", _("I have no conflict of interest with this application")),
            ("yes", _("I have a conflict of interest and recuse myself")),
        ],
        widget=forms.RadioSelect,
        coerce=lambda v: v == "yes",
    )
    reason = forms.CharField(
        label=_("Reason for the conflict"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean(self):
        data = super().clean()
        if data.get("conflict") and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Please give the reason for the conflict."))
        return data


class ScoreForm(ScoreSheetForm):
    """One number field per criterion (``criterion_<id>``) plus the written parts.

    Scale checks live in ``services.save_review`` (the only authority); the widgets
    carry min/max/step so browsers help too."""

    strengths = forms.CharField(
        label=_("Strengths"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    weaknesses = forms.CharField(
        label=_("Weaknesses"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    comments = forms.CharField(
        label=_("Comments"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    recommendation = forms.ChoiceField(
        label=_("Recommendation"), required=False, choices=[("", "—"), *Recommendation.choices]
    )

    field_prefix = "criterion"

    def __init__(self, *args, criteria: list[Criterion], disabled: bool = False, **kwargs):
        self.criteria = criteria
        super().__init__(*args, scored=criteria, disabled=disabled, **kwargs)

    def score_attrs(self, c) -> dict:
        return {
            "min": num(c.scale_min),
            "max": num(c.scale_max),
            "step": num(c.scale_step),
            "data-weight": c.weight,
            "data-min": num(c.scale_min),
            "data-max": num(c.scale_max),
            "data-independent": "1" if c.independent else "0",
            "class": "review-score",
        }


class AbstainForm(forms.Form):
    abstain_reason = forms.CharField(
        label=_("Reason for abstaining"), widget=forms.Textarea(attrs={"rows": 2})
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class RosterForm(forms.Form):
    """One "conflict" checkbox and reason per roster organization (blind review)."""

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.organizations = organizations
        for org in organizations:
            self.fields[f"conflict_{org.pk}"] = forms.BooleanField(
                label=_("I have a conflict of interest with %(name)s") % {"name": org.name},
                required=False,
            )
            self.fields[f"reason_{org.pk}"] = forms.CharField(
                label=_("Reason for the conflict with %(name)s") % {"name": org.name},
                required=False,
                max_length=1000,
                widget=forms.TextInput,
            )

    def rows(self):
        return [
            (org, self[f"conflict_{org.pk}"], self[f"reason_{org.pk}"])
            for org in self.organizations
        ]

    def conflicts(self) -> dict[int, str]:
        return {
            org.pk: self.cleaned_data.get(f"reason_{org.pk}", "")
            for org in self.organizations
            if self.cleaned_data.get(f"conflict_{org.pk}")
        }


class AppealForm(forms.Form):
    grounds = forms.CharField(
        label=_("Grounds of the appeal"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "State what you believe is wrong in the result and why. One appeal per "
            "application; you can withdraw it until it is handled."
        ),
    )
    attachment = forms.FileField(
        label=_("Attachment (optional)"),
        required=False,
        help_text=_("One file supporting the appeal: PDF, Word (DOCX), Excel (XLSX), JPG or PNG."),
    )

    def clean_attachment(self):
        upload = self.cleaned_data.get("attachment")
        if upload:
            try:
                check_upload(upload, allowed=ATTACHMENT_TYPES)
            except ValidationError as error:
                raise ValidationError(
                    _("The attachment was not accepted: %(reason)s The grounds you wrote are kept.")
                    % {"reason": " ".join(error.messages)}
                ) from None
        return upload


class PublishForm(forms.Form):
    override_reason = forms.CharField(
        label=_("Reason for publishing anyway"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Only when the review window is still open or applications lack reviews: "
            "the reason is written to the audit log."
        ),
    )


class TieForm(forms.Form):
    """The review committee's order for applications tied at a cut: one choice per place
    (each tied application once) and the committee's reasons."""

    reason = forms.CharField(
        label=_("Committee's reasons"),
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Record the committee's reasons.")},
    )

    def __init__(self, *args, entries, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [
            (str(e.application_id), e.application.title or e.application_id) for e in entries
        ]
        self.places = []
        for place, entry in enumerate(entries, start=1):
            name = f"place_{place}"
            self.fields[name] = forms.TypedChoiceField(
                label=_("Place %(n)d") % {"n": place},
                choices=choices,
                coerce=int,
                initial=str(entry.application_id),
                error_messages={"invalid_choice": _("Choose one of the tied applications.")},
            )
            self.places.append(name)

    def place_fields(self):
        return [self[name] for name in self.places]

    def clean(self):
        data = super().clean()
        order = [data.get(name) for name in self.places]
        if None not in order and len(set(order)) != len(order):
            raise ValidationError(_("List each of the tied applications exactly once."))
        data["order"] = order
        return data


class ManualAssignForm(forms.Form):
    application = forms.ModelChoiceField(
        label=_("Application"), queryset=Application.objects.none()
    )
    reviewer = forms.ModelChoiceField(label=_("Reviewer"), queryset=get_user_model().objects.none())

    def __init__(self, *args, call, reviewers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["application"].queryset = Application.objects.filter(
            call=call, status=ApplicationStatus.ELIGIBLE
        ).select_related("organization")
        self.fields["reviewer"].queryset = reviewers


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"), help_text=_("Columns: application (id), reviewer (username).")
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 2 * 1024 * 1024:
            raise ValidationError(_("The file is larger than 2 MB."))
        raw = upload.read()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError:
                continue
        raise ValidationError(_("The file is not UTF-8 or GB18030 text."))


class AppealResolutionForm(forms.Form):
    outcome = forms.ChoiceField(
        label=pgettext_lazy("objection", "Outcome"),
        widget=forms.RadioSelect,
        choices=[("upheld", _("Upheld")), ("dismissed", _("Dismissed"))],
    )
    resolution = forms.CharField(label=_("Resolution"), widget=forms.Textarea(attrs={"rows": 3}))


class RubricForm(FrozenRubricForm):
    """Once a rubric version has reviews, its weights and scales are frozen: the form
    refuses such edits and points to “New version”."""

    frozen_children = {"criteria": LOCKED_CRITERION_FIELDS}
    frozen_message = _(
        "Reviews have been scored with this rubric version, so its criteria, "
        "weights and scales can no longer change. Use “New version” to make a "
        "changed copy."
    )
