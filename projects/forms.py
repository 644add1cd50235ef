"""Forms for the application steps, the call "apply" button, staff screening and needs.

Each application step is a ``StepBundle``: an optional plain form plus an optional
formset of rows, validated together, converted to JSON-safe ``answers`` (money in fen,
dates as ISO strings) and rebuilt from them.
"""

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from organizations.models import Region
from organizations.region_choices import GroupedRegionChoiceField
from portal.core.bilingual import EN_SUMMARY_MAX, EN_TITLE_MAX, english_limits
from portal.core.money import YuanField, fen_to_yuan

from .enums import ApplicationStep, BudgetCategory, FundingSource, IndicatorKind
from .models import CommunityNeed, Project, ServiceItem
from .services import budget_errors, budget_totals
from .uploads import ATTACHMENT_TYPES, PHOTO_TYPES, check_upload

MAX_PEOPLE = 10_000_000


def _local_regions():
    return Region.objects.filter(level__in=["subdistrict", "community"]).order_by("code")


class BasicForm(forms.Form):
    title = forms.CharField(label=_("Project title"), max_length=200)
    summary = forms.CharField(
        label=_("Summary"), widget=forms.Textarea(attrs={"rows": 4}), max_length=2000
    )
    region = GroupedRegionChoiceField(
        label=_("Service area (sub-district or community)"), queryset=Region.objects.none()
    )
    service_items = forms.ModelMultipleChoiceField(
        label=_("Service items"),
        queryset=ServiceItem.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    start_date = forms.DateField(
        label=_("Start date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    end_date = forms.DateField(label=_("End date"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, application, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = _local_regions()
        allowed = application.call.allowed_service_items.all()
        items = ServiceItem.objects.select_related("category")
        self.fields["service_items"].queryset = (
            items.filter(pk__in=allowed.values("pk")) if allowed.exists() else items
        )

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The end date must not be before the start date."))
        if start and end and (end - start).days > 3 * 366:
            self.add_error("end_date", _("A project may last at most three years."))
        return data

    def to_answers(self):
        d = self.cleaned_data
        return {
            "title": d["title"],
            "summary": d["summary"],
            "region": d["region"].pk,
            "service_items": sorted(i.pk for i in d["service_items"]),
            "start_date": d["start_date"].isoformat(),
            "end_date": d["end_date"].isoformat(),
        }


class NeedsForm(forms.Form):
    analysis = forms.CharField(
        label=_("Needs analysis"),
        widget=forms.Textarea(attrs={"rows": 8}),
        min_length=20,
        max_length=10_000,
        help_text=_("Who needs this service, what evidence shows it, what exists already."),
    )
    cited_needs = forms.ModelMultipleChoiceField(
        label=_("Community needs this project answers"),
        required=False,
        queryset=CommunityNeed.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Needs raised by residents on the community needs board."),
    )

    def __init__(self, *args, application, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cited_needs"].queryset = (
            CommunityNeed.objects.published().select_related("region").order_by("-created_at")
        )

    def to_answers(self):
        return {
            "analysis": self.cleaned_data["analysis"],
            "cited_needs": sorted(n.pk for n in self.cleaned_data["cited_needs"]),
        }


class ObjectivesForm(forms.Form):
    goal = forms.CharField(
        label=_("Overall goal"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    objectives = forms.CharField(
        label=_("Specific objectives"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
        help_text=_("One objective per line; measurable where possible."),
    )

    def __init__(self, *args, application, **kwargs):
        super().__init__(*args, **kwargs)

    def to_answers(self):
        return dict(self.cleaned_data)


class BeneficiariesForm(forms.Form):
    description = forms.CharField(
        label=_("Who benefits"), widget=forms.Textarea(attrs={"rows": 4}), max_length=3000
    )
    direct_count = forms.IntegerField(
        label=_("People served directly"), min_value=1, max_value=MAX_PEOPLE
    )
    indirect_count = forms.IntegerField(
        label=_("People reached indirectly"), min_value=0, max_value=MAX_PEOPLE, initial=0
    )

    def __init__(self, *args, application, **kwargs):
        super().__init__(*args, **kwargs)

    def to_answers(self):
        return dict(self.cleaned_data)


class ActivityRow(forms.Form):
    name = forms.CharField(label=_("Activity"), max_length=200)
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    description = forms.CharField(label=_("Description"), max_length=1000, required=False)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The end date must not be before the start date."))
        return data

    def to_row(self):
        d = self.cleaned_data
        return {
            "name": d["name"],
            "start": d["start"].isoformat(),
            "end": d["end"].isoformat(),
            "description": d["description"],
        }

    @staticmethod
    def from_row(row):
        return {
            **row,
            "start": date.fromisoformat(row["start"]),
            "end": date.fromisoformat(row["end"]),
        }


class BudgetRow(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=BudgetCategory.choices)
    item = forms.CharField(label=_("Item"), max_length=200)
    unit = forms.CharField(label=_("Unit"), max_length=20)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=1_000_000)
    unit_price = YuanField(label=_("Unit price (yuan)"), min_fen=1, max_fen=10_000_000_00)
    source = forms.ChoiceField(label=_("Paid from"), choices=FundingSource.choices)

    def to_row(self):
        d = self.cleaned_data
        return {
            "category": d["category"],
            "item": d["item"],
            "unit": d["unit"],
            "quantity": d["quantity"],
            "unit_price": d["unit_price"],
            "source": d["source"],
        }

    @staticmethod
    def from_row(row):
        return {**row, "unit_price": fen_to_yuan(row["unit_price"])}


class IndicatorRow(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=IndicatorKind.choices)
    name = forms.CharField(label=_("Indicator"), max_length=200)
    target = forms.CharField(label=_("Target"), max_length=100)
    method = forms.CharField(label=_("How it is measured"), max_length=300, required=False)

    def to_row(self):
        return {k: v for k, v in self.cleaned_data.items() if k != "DELETE"}

    @staticmethod
    def from_row(row):
        return row


class TeamRow(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    role = forms.CharField(label=_("Role in the project"), max_length=100)
    experience = forms.CharField(
        label=_("Qualifications and experience"), max_length=500, required=False
    )

    def to_row(self):
        return {k: v for k, v in self.cleaned_data.items() if k != "DELETE"}

    @staticmethod
    def from_row(row):
        return row


class RiskRow(forms.Form):
    risk = forms.CharField(label=_("Risk"), max_length=300)
    mitigation = forms.CharField(label=_("How it is handled"), max_length=500)

    def to_row(self):
        return {k: v for k, v in self.cleaned_data.items() if k != "DELETE"}

    @staticmethod
    def from_row(row):
        return row


class AttachmentsForm(forms.Form):
    """The attachments step is complete once the applicant confirms the list."""

    confirm = forms.BooleanField(
        label=_("The attachments listed are complete for this application"), required=True
    )

    def __init__(self, *args, application, **kwargs):
        super().__init__(*args, **kwargs)

    def to_answers(self):
        return {"confirmed": True}


class BaseRowFormSet(forms.BaseFormSet):
    def __init__(self, *args, step=None, **kwargs):
        self.step = step
        super().__init__(*args, **kwargs)

    def clean(self):
        if any(self.errors):
            return
        rows = [f for f in self.forms if f.cleaned_data and not self._should_delete_form(f)]
        if not rows:
            raise ValidationError(_("Add at least one row."))
        if self.step == ApplicationStep.INDICATORS:
            kinds = {f.cleaned_data["kind"] for f in rows}
            if kinds != set(IndicatorKind.values):
                raise ValidationError(_("Give at least one output and one outcome indicator."))

    def to_rows(self):
        return [
            f.to_row() for f in self.forms if f.cleaned_data and not self._should_delete_form(f)
        ]


def _formset(row_form):
    return forms.formset_factory(
        row_form,
        formset=BaseRowFormSet,
        extra=1,
        can_delete=True,
        max_num=100,
        validate_max=True,
        absolute_max=200,
    )


STEP_FORMS = {
    ApplicationStep.BASIC: (BasicForm, None),
    ApplicationStep.NEEDS: (NeedsForm, None),
    ApplicationStep.OBJECTIVES: (ObjectivesForm, None),
    ApplicationStep.BENEFICIARIES: (BeneficiariesForm, None),
    ApplicationStep.ACTIVITIES: (None, _formset(ActivityRow)),
    ApplicationStep.BUDGET: (None, _formset(BudgetRow)),
    ApplicationStep.INDICATORS: (None, _formset(IndicatorRow)),
    ApplicationStep.TEAM: (None, _formset(TeamRow)),
    ApplicationStep.RISKS: (None, _formset(RiskRow)),
    ApplicationStep.ATTACHMENTS: (AttachmentsForm, None),
}
ROWS_PREFIX = "rows"


def raw_from_post(data) -> dict[str, list[str]]:
    """A QueryDict as JSON-safe ``{name: [values]}`` (the CSRF token left out)."""
    return {key: data.getlist(key) for key in data if key != "csrfmiddlewaretoken"}


class StepBundle:
    """The form and/or row formset of one step, bound or built from saved answers."""

    def __init__(self, *, application, step: str, data=None):
        self.application = application
        self.step = step
        form_class, formset_class = STEP_FORMS[step]
        answers = application.answers.get(step)
        self.is_bound = data is not None
        self.form = None
        self.formset = None
        self.budget_problems: list[str] = []
        if form_class is not None:
            initial = self._form_initial(answers) if answers else None
            self.form = form_class(data, application=application, initial=initial)
        if formset_class is not None:
            row_form = formset_class.form
            rows = [row_form.from_row(r) for r in (answers or {}).get("lines", [])]
            self.formset = formset_class(
                data, initial=None if data is not None else rows, prefix=ROWS_PREFIX, step=step
            )

    @classmethod
    def from_draft(cls, *, application, step: str):
        raw = application.drafts.get(step)
        if raw is None:
            return cls(application=application, step=step)
        return cls(application=application, step=step, data=MultiValueDict(raw))

    def _form_initial(self, answers):
        initial = dict(answers)
        if self.step == ApplicationStep.BASIC:
            initial["start_date"] = date.fromisoformat(answers["start_date"])
            initial["end_date"] = date.fromisoformat(answers["end_date"])
        if self.step == ApplicationStep.ATTACHMENTS:
            initial["confirm"] = bool(answers.get("confirmed"))
        return initial

    def is_valid(self) -> bool:
        valid = True
        if self.form is not None:
            valid = self.form.is_valid() and valid
        if self.formset is not None:
            valid = self.formset.is_valid() and valid
        if valid and self.step == ApplicationStep.BUDGET:
            self.budget_problems = budget_errors(
                call=self.application.call, totals=budget_totals(self.formset.to_rows())
            )
            valid = not self.budget_problems
        return valid

    def answers(self) -> dict:
        if self.form is not None:
            return self.form.to_answers()
        return {"lines": self.formset.to_rows()}

    def cited_need_ids(self):
        if self.step == ApplicationStep.NEEDS:
            return [n.pk for n in self.form.cleaned_data["cited_needs"]]
        return None

    def error_summary(self) -> list[str]:
        """Every error as a sentence, for the summary at the top of the page."""
        if not self.is_bound:
            return []
        messages = []
        if self.form is not None and self.form.errors:
            for name, errors in self.form.errors.items():
                label = self.form.fields[name].label if name in self.form.fields else ""
                messages += [f"{label}: {e}" if label else str(e) for e in errors]
        if self.formset is not None:
            messages += [str(e) for e in self.formset.non_form_errors()]
            for index, errors in enumerate(self.formset.errors, start=1):
                for name, field_errors in errors.items():
                    field = self.formset.forms[index - 1].fields.get(name)
                    label = field.label if field else ""
                    messages += [
                        _("Row %(n)s, %(field)s: %(error)s")
                        % {"n": index, "field": label, "error": e}
                        for e in field_errors
                    ]
        messages += self.budget_problems
        return messages

    def budget_preview(self) -> dict[str, int] | None:
        """Totals of the rows as typed (valid rows only), for display."""
        if self.step != ApplicationStep.BUDGET:
            return None
        if self.is_bound and self.formset.is_valid():
            return budget_totals(self.formset.to_rows())
        return {
            "requested": self.application.requested_amount,
            "self": self.application.self_funding_amount,
            "total": self.application.total_amount,
        }


class AttachmentUploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"), help_text=_("PDF, Word (DOCX), Excel (XLSX), JPG or PNG.")
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        self.content_type = check_upload(upload, allowed=ATTACHMENT_TYPES)
        return upload


class StartApplicationForm(forms.Form):
    organization = forms.TypedChoiceField(label=_("Apply as"), coerce=int)

    def __init__(self, *args, options, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = [
            (o["organization"].pk, o["organization"].name) for o in options
        ]


class ReturnForm(forms.Form):
    message = forms.CharField(
        label=_("What information is needed"), widget=forms.Textarea(attrs={"rows": 4})
    )
    deadline = forms.DateTimeField(
        label=_("Deadline"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    def clean_deadline(self):
        from django.utils import timezone

        deadline = self.cleaned_data["deadline"]
        if deadline <= timezone.now():
            raise ValidationError(_("The deadline must be in the future."))
        return deadline


class ScreeningForm(forms.Form):
    DECISIONS = [
        ("eligible", _("Eligible")),
        ("ineligible", _("Ineligible")),
        ("returned", _("Return for more information")),
    ]
    decision = forms.ChoiceField(
        label=pgettext_lazy("screening", "Decision"), choices=DECISIONS, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=_("Reason or message to the applicant"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Required for ineligible and returned applications."),
    )
    deadline = forms.DateTimeField(
        label=_("Deadline for more information"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def clean(self):
        data = super().clean()
        decision = data.get("decision")
        if decision in ("ineligible", "returned") and not data.get("reason", "").strip():
            self.add_error("reason", _("Required for this decision."))
        if decision == "returned" and not data.get("deadline"):
            self.add_error("deadline", _("Required for this decision."))
        return data


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class NeedForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6})
    )
    title_en = forms.CharField(
        label=_("English title"),
        max_length=EN_TITLE_MAX,
        required=False,
        widget=forms.TextInput(attrs={"lang": "en"}),
        help_text=_("Optional. Shown on the English site instead of the Chinese title."),
    )
    description_en = forms.CharField(
        label=_("English description"),
        max_length=EN_SUMMARY_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "lang": "en"}),
        help_text=_("Optional. Shown on the English site instead of the Chinese description."),
    )
    region = GroupedRegionChoiceField(
        label=_("Sub-district or community"), queryset=Region.objects.none()
    )
    service_item = forms.ModelChoiceField(
        label=_("Service item"),
        required=False,
        queryset=ServiceItem.objects.select_related("category"),
        help_text=_("The catalogue item closest to this need, if any."),
    )
    people_affected = forms.IntegerField(
        label=_("How many people are affected"), min_value=1, max_value=MAX_PEOPLE
    )
    photos = MultipleFileField(
        label=_("Photos"),
        required=False,
        widget=MultiplePhotoInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text=_("Up to 4 photos (JPG, PNG or WebP)."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = _local_regions()
        english_limits(self)

    def clean_photos(self):
        uploads = self.cleaned_data.get("photos") or []
        if len(uploads) > 4:
            raise ValidationError(_("At most 4 photos."))
        self.checked_photos = [
            (upload, check_upload(upload, allowed=PHOTO_TYPES)) for upload in uploads
        ]
        return uploads


class DeclineNeedForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class MergeNeedForm(forms.Form):
    into = forms.ModelChoiceField(label=_("Merge into"), queryset=CommunityNeed.objects.none())

    def __init__(self, *args, need, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["into"].queryset = CommunityNeed.objects.published().exclude(pk=need.pk)


class EnglishVersionForm(forms.ModelForm):
    """The optional English title and summary (or description) of a project or need."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        english_limits(self)
        for field in self.fields.values():
            field.widget.attrs["lang"] = "en"


class ProjectEnglishForm(EnglishVersionForm):
    class Meta:
        model = Project
        fields = ["title_en", "summary_en"]
        widgets = {"summary_en": forms.Textarea(attrs={"rows": 5})}


class NeedEnglishForm(EnglishVersionForm):
    class Meta:
        model = CommunityNeed
        fields = ["title_en", "description_en"]
        widgets = {"description_en": forms.Textarea(attrs={"rows": 5})}
