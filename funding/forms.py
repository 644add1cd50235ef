from django import forms
from django.utils.translation import gettext_lazy as _

from portal.core.money import YuanField
from portal.core.personal import refuse_identity_number

from .enums import Anonymity, DonationSource, OfflineMethod

PRESETS_YUAN = [50, 100, 200, 500]


class PledgeForm(forms.Form):
    """An offline pledge: the donor gets a reference code for the transfer memo."""

    amount = YuanField(label=_("Amount (yuan)"))
    method = forms.ChoiceField(
        label=_("How you will give"),
        choices=OfflineMethod.choices,
        initial=OfflineMethod.BANK_TRANSFER,
        widget=forms.RadioSelect,
    )
    donor_name = forms.CharField(
        label=_("Your name"), max_length=200, required=False, validators=[refuse_identity_number]
    )
    donor_email = forms.EmailField(
        label=_("Email"), help_text=_("So that our finance staff can reach you about this gift.")
    )


class DonateForm(forms.Form):
    preset = forms.TypedChoiceField(
        label=_("Amount"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[(str(y * 100), f"¥{y}") for y in PRESETS_YUAN] + [("", _("Other amount"))],
        widget=forms.RadioSelect,
    )
    custom_amount = YuanField(label=_("Other amount (yuan)"), required=False)
    donor_name = forms.CharField(
        label=_("Your name"), max_length=200, required=False, validators=[refuse_identity_number]
    )
    donor_email = forms.EmailField(
        label=_("Email"),
        help_text=_("We send your confirmation and a link to your history."),
    )
    anonymity = forms.ChoiceField(
        label=_("Anonymity"), choices=Anonymity.choices, initial=Anonymity.NONE
    )
    message = forms.CharField(
        label=_("Message"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    dedication = forms.CharField(
        label=_("In honour of"), max_length=200, required=False, validators=[refuse_identity_number]
    )
    receipt_requested = forms.BooleanField(
        label=_("I would like a donation receipt"), required=False
    )
    receipt_name = forms.CharField(
        label=_("Name on the receipt"),
        max_length=200,
        required=False,
        validators=[refuse_identity_number],
    )
    receipt_address = forms.CharField(
        label=_("Postal address for the receipt"), max_length=300, required=False
    )

    def __init__(self, *args, methods: list[str] | None = None, **kwargs):
        """``methods``: the payment providers on offer, best first for this device
        (``funding.providers.online_methods``); a choice appears when there are two."""
        super().__init__(*args, **kwargs)
        methods = methods or []
        self.methods = methods
        if len(methods) > 1:
            labels = dict(DonationSource.choices)
            self.fields = {
                "method": forms.ChoiceField(
                    label=_("Pay with"),
                    choices=[(m, labels[m]) for m in methods],
                    initial=methods[0],
                    widget=forms.RadioSelect,
                ),
                **self.fields,
            }

    def clean(self):
        data = super().clean()
        if "method" not in self.fields:
            data["method"] = self.methods[0] if self.methods else ""
        if self.has_error("custom_amount"):
            return data
        amount = data.get("custom_amount") or data.get("preset")
        if not amount:
            self.add_error("preset", _("Choose an amount or enter another amount."))
        data["amount"] = amount
        if data.get("receipt_requested") and not (
            data.get("receipt_name") or data.get("donor_name")
        ):
            self.add_error("receipt_name", _("Enter the name to print on the receipt."))
        return data
