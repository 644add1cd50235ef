"""Forms for finance staff in the Wagtail admin."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from portal.core.money import YuanField
from portal.core.uploads import check_size, sanitize_image, sniff_type
from projects.models import Project

from .enums import Anonymity, OfflineMethod
from .services.imports import SOURCES
from .validators import validate_official_code, validate_official_number, validate_official_pdf

EVIDENCE_TYPES = {"application/pdf", "image/jpeg", "image/png", "image/webp"}


def validate_upload(upload, allowed: set[str]) -> None:
    check_size(upload)
    kind = sniff_type(upload)
    if kind is None or kind.mime not in allowed:
        raise forms.ValidationError(_("Upload a PDF, JPEG, PNG or WebP file."))
    sanitize_image(upload, kind.mime)


class OfflineDonationForm(forms.Form):
    project = forms.ModelChoiceField(label=_("Project"), queryset=Project.objects.public())
    amount = YuanField(label=_("Amount (yuan)"))
    method = forms.ChoiceField(label=_("Method"), choices=OfflineMethod.choices)
    reference = forms.CharField(
        label=_("Bank or receipt reference"), max_length=200, required=False
    )
    donor_name = forms.CharField(label=_("Donor name"), max_length=200, required=False)
    donor_email = forms.EmailField(label=_("Donor email"), required=False)
    anonymity = forms.ChoiceField(label=_("Anonymity"), choices=Anonymity.choices)
    receipt_requested = forms.BooleanField(label=_("Receipt requested"), required=False)
    received_on = forms.DateField(
        label=_("Received on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    evidence = forms.FileField(label=_("Evidence (bank slip, receipt scan)"))

    def clean_evidence(self):
        upload = self.cleaned_data["evidence"]
        validate_upload(upload, EVIDENCE_TYPES)
        return upload


class ImportUploadForm(forms.Form):
    source = forms.ChoiceField(label=_("Platform"), choices=[(s, s) for s in sorted(SOURCES)])
    file = forms.FileField(label=_("Export file (CSV or XLSX)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.MAX_UPLOAD_SIZE:
            raise forms.ValidationError(_("The file is too large."))
        return upload


class StatementUploadForm(forms.Form):
    file = forms.FileField(label=_("Bank statement (CSV or XLSX as the bank exports it)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.MAX_UPLOAD_SIZE:
            raise forms.ValidationError(_("The file is too large."))
        return upload


class TopUpForm(forms.Form):
    amount = YuanField(label=_("Amount (yuan)"))
    reference = forms.CharField(label=_("Transfer reference"), max_length=80)


class DisbursementForm(forms.Form):
    project = forms.ModelChoiceField(label=_("Project"), queryset=Project.objects.public())
    amount = YuanField(label=_("Amount (yuan)"))
    milestone = forms.CharField(label=_("Milestone"), max_length=300, required=False)
    reference = forms.CharField(label=_("Bank reference"), max_length=100, required=False)


class DisbursementApprovalForm(forms.Form):
    paid_on = forms.DateField(
        label=_("Payment date"),
        help_text=_("The day the bank paid the tranche to the organization."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class DisbursementRefusalForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class _Digits(forms.CharField):
    """Digits typed or pasted from the e-receipt system (full-width digits and spaces
    accepted and normalised)."""

    def to_python(self, value):
        import unicodedata

        text = super().to_python(value)
        return unicodedata.normalize("NFKC", text).replace(" ", "") if text else text


class OfficialReceiptForm(forms.Form):
    """The official fiscal e-receipt (公益事业捐赠统一票据) issued for a gift."""

    official_code = _Digits(
        label=_("E-receipt code (票据代码)"),
        max_length=20,
        validators=[validate_official_code],
        help_text=_("8 digits, as printed on the e-receipt."),
    )
    official_number = _Digits(
        label=_("E-receipt number (票据号码)"),
        max_length=20,
        validators=[validate_official_number],
        help_text=_("10 digits, as printed on the e-receipt."),
    )
    pdf = forms.FileField(
        label=_("E-receipt PDF"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "application/pdf"}),
        help_text=_(
            "The PDF downloaded from the finance bureau's e-receipt system (5 MB at most)."
        ),
    )

    def clean_pdf(self):
        upload = self.cleaned_data.get("pdf")
        if upload:
            validate_official_pdf(upload)
        return upload
