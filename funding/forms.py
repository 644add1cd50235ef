from django import forms
from django.utils.translation import gettext_lazy as _

from portal.core.money import yuan_to_fen

from .enums import Anonymity

PRESETS_YUAN = [50, 100, 200, 500]


class DonateForm(forms.Form):
    preset = forms.TypedChoiceField(
        label=_("Amount"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[(str(y * 100), f"¥{y}") for y in PRESETS_YUAN] + [("", _("Other amount"))],
        widget=forms.RadioSelect,
    )
    custom_amount = forms.CharField(
        label=_("Other amount (yuan)"),
        required=False,
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    donor_name = forms.CharField(label=_("Your name"), max_length=200, required=False)
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
    dedication = forms.CharField(label=_("In honour of"), max_length=200, required=False)
    receipt_requested = forms.BooleanField(
        label=_("I would like a donation receipt"), required=False
    )
    receipt_name = forms.CharField(label=_("Name on the receipt"), max_length=200, required=False)
    receipt_address = forms.CharField(
        label=_("Postal address for the receipt"), max_length=300, required=False
    )

    def clean(self):
        data = super().clean()
        custom = (data.get("custom_amount") or "").strip()
        if custom:
            try:
                amount = yuan_to_fen(custom)
            except ValueError:
                self.add_error("custom_amount", _("Enter an amount in yuan, e.g. 88 or 88.50."))
                return data
        else:
            amount = data.get("preset")
        if not amount:
            self.add_error("preset", _("Choose an amount or enter another amount."))
        elif amount <= 0:
            self.add_error("custom_amount", _("The amount must be positive."))
        data["amount"] = amount
        if data.get("receipt_requested") and not (
            data.get("receipt_name") or data.get("donor_name")
        ):
            self.add_error("receipt_name", _("Enter the name to print on the receipt."))
        return data
