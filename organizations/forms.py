from django import forms
from django.utils.translation import gettext_lazy as _

from portal.core.bilingual import english_limits
from portal.core.money import YuanField

from .enums import DocumentKind, MemberRole, RegionLevel
from .models import Organization, Region
from .region_choices import GroupedRegionChoiceField
from .services import ELIGIBILITY_FIELDS, IDENTITY_FIELDS, PROFILE_FIELDS
from .validators import (
    validate_credit_code,
    validate_document,
    validate_image,
    validate_mobile,
)


class OrganizationForm(forms.ModelForm):
    """The member-facing profile form. Money is typed in yuan, stored in fen."""

    last_year_income_yuan = YuanField(
        label=_("Last year's income (yuan)"), required=False, min_fen=0
    )

    class Meta:
        model = Organization
        fields = [f for f in PROFILE_FIELDS if f != "last_year_income"] + ["service_areas"]
        widgets = {
            "established_on": forms.DateInput(attrs={"type": "date"}),
            "rating_expires_on": forms.DateInput(attrs={"type": "date"}),
            "mission": forms.Textarea(attrs={"rows": 4}),
            "mission_en": forms.Textarea(attrs={"rows": 4, "lang": "en"}),
            "name_en": forms.TextInput(attrs={"lang": "en"}),
            "service_areas": forms.CheckboxSelectMultiple,
            "contact_mobile": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
            "contact_email": forms.EmailInput(attrs={"autocomplete": "email"}),
        }
        field_classes = {
            "region": GroupedRegionChoiceField,
            "community": GroupedRegionChoiceField,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].label = _("Sub-district")
        self.fields["region"].required = True
        self.fields["region"].queryset = Region.objects.filter(
            level=RegionLevel.SUBDISTRICT
        ).select_related("parent")
        self.fields["community"].queryset = Region.objects.filter(
            level=RegionLevel.COMMUNITY
        ).select_related("parent")
        english_limits(self)
        self.fields["contact_name"].required = True
        self.fields["contact_mobile"].required = True
        if self.instance.pk and self.instance.last_year_income is not None:
            self.initial["last_year_income_yuan"] = self.instance.last_year_income
        if self.instance.pk and self.instance.is_verified:
            for name in IDENTITY_FIELDS:
                self.fields[name].disabled = True
                self.fields[name].help_text = _("Fixed after verification.")
            for name in ELIGIBILITY_FIELDS:
                self.fields[name].disabled = True
                self.fields[name].help_text = _(
                    "Decides which calls the organization may apply to, so it is fixed "
                    "after verification: ask the programme staff to change it, with "
                    "evidence."
                )
        if "logo" in self.fields:
            self.fields["logo"].widget = forms.ClearableFileInput(
                attrs={"accept": "image/png,image/jpeg,image/webp"}
            )

    def _post_clean(self):
        # Model validation (uniqueness, constraints) runs in the service, which turns
        # duplicate codes into field errors; here only field-level checks apply.
        pass

    def clean_credit_code(self):
        value = self.cleaned_data.get("credit_code")
        if not value:
            return None
        value = value.strip().upper()
        validate_credit_code(value)
        return value

    def clean_contact_mobile(self):
        value = self.cleaned_data.get("contact_mobile", "")
        if value:
            validate_mobile(value)
        return value

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if logo and hasattr(logo, "content_type"):
            validate_image(logo)
        return logo

    def profile_fields(self) -> dict:
        data = {
            k: v
            for k, v in self.cleaned_data.items()
            if k in PROFILE_FIELDS and not self.fields[k].disabled
        }
        data["last_year_income"] = self.cleaned_data.get("last_year_income_yuan")
        if data.get("logo") is False:  # "clear" ticked
            data["logo"] = ""
        elif data.get("logo") is None:
            data.pop("logo", None)
        return data


class ReturnReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Document type"), choices=DocumentKind.choices)
    file = forms.FileField(
        label=_("File"),
        help_text=_("PDF, JPEG or PNG, at most 20 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        validate_document(upload)
        return upload


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    role = forms.ChoiceField(label=_("Role"), choices=MemberRole.choices, initial=MemberRole.EDITOR)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=MemberRole.choices)
