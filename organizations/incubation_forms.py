from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.core.money import YuanField

from .enums import MemberRole, ServiceKind
from .models import AssessmentDimension, IncubationStage, Organization
from .validators import validate_document

SCORE_CHOICES = [("", "—")] + [(str(n), str(n)) for n in range(1, 6)]


class ApplyForm(forms.Form):
    organization = forms.ModelChoiceField(
        label=_("Organization"), queryset=Organization.objects.none()
    )
    motivation = forms.CharField(
        label=_("Why do you want to join?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
    )
    needs = forms.CharField(
        label=_("What support do you need?"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = Organization.objects.verified().filter(
            memberships__user=user, memberships__role__in=[MemberRole.OWNER, MemberRole.EDITOR]
        )


class AgreementForm(forms.Form):
    file = forms.FileField(
        label=_("Signed residency agreement"), help_text=_("PDF, JPEG or PNG, at most 20 MB.")
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        validate_document(upload)
        return upload


class ServiceLogForm(forms.Form):
    kind = forms.ChoiceField(label=_("Service"), choices=ServiceKind.choices)
    provided_on = forms.DateField(
        label=_("Date"), initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"})
    )
    hours = forms.DecimalField(
        label=_("Hours"),
        min_value=Decimal("0.5"),
        max_value=Decimal(24),
        decimal_places=1,
        max_digits=4,
    )
    grant_amount_yuan = YuanField(label=_("Small grant amount (yuan)"), required=False)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class AssessmentForm(forms.Form):
    assessed_on = forms.DateField(
        label=_("Assessed on"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    summary = forms.CharField(
        label=pgettext_lazy("incubation", "Summary"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.dimensions = list(AssessmentDimension.objects.filter(is_active=True))
        for d in self.dimensions:
            self.fields[f"score_{d.pk}"] = forms.TypedChoiceField(
                label=_("%(dimension)s: score") % {"dimension": d.display_name()},
                choices=SCORE_CHOICES,
                coerce=int,
            )
            self.fields[f"evidence_{d.pk}"] = forms.CharField(
                label=_("%(dimension)s: evidence") % {"dimension": d.display_name()},
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def scores(self) -> dict[int, tuple[int, str]]:
        return {
            d.pk: (self.cleaned_data[f"score_{d.pk}"], self.cleaned_data[f"evidence_{d.pk}"])
            for d in self.dimensions
        }


class ResidencyDecisionForm(forms.Form):
    note = forms.CharField(
        label=_("Decision note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class StageForm(forms.Form):
    stage = forms.ModelChoiceField(label=_("Stage"), queryset=IncubationStage.objects.all())
    on_date = forms.DateField(
        label=_("Date"), initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class MentorForm(forms.Form):
    mentor = forms.ModelChoiceField(label=_("Mentor"), queryset=None, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from django.contrib.auth import get_user_model

        from . import roles

        self.fields["mentor"].queryset = (
            get_user_model().objects.filter(groups__name=roles.MENTOR).order_by("username")
        )
