"""Admin forms for the payment schedule, the payee's bank details and recording a
scheduled tranche."""

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.core.money import YuanField

from .enums import MilestoneStatus
from .forms import OptionalRowFormSet


class GrantedForm(forms.Form):
    granted = YuanField(label=_("Granted amount (yuan)"))


class TrancheRow(forms.Form):
    milestone = forms.ModelChoiceField(label=_("Milestone"), queryset=None)
    percent = forms.IntegerField(
        label=_("Share (per cent)"), min_value=1, max_value=100, required=False
    )
    amount = YuanField(label=_("or amount (yuan)"), required=False)
    due_on = forms.DateField(label=_("Due date"), widget=forms.DateInput(attrs={"type": "date"}))
    # Unticked by default: a blank extra row must stay unchanged to be ignored.
    needs_report = forms.BooleanField(label=_("Released by an accepted report"), required=False)

    def __init__(self, *args, delivery=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["milestone"].queryset = delivery.milestones.filter(
            status__in=[MilestoneStatus.PLANNED, MilestoneStatus.COMPLETED]
        ).order_by("due_on", "pk")


ScheduleFormSet = forms.formset_factory(
    TrancheRow,
    formset=OptionalRowFormSet,
    extra=3,
    max_num=12,
    validate_max=True,
    absolute_max=20,
    can_delete=True,
)


class PayeeForm(forms.Form):
    account_name = forms.CharField(label=_("Account name"), max_length=200)
    bank_name = forms.CharField(label=_("Bank and branch"), max_length=200)
    account_number = forms.CharField(label=_("Account number"), max_length=60)


class RecordTrancheForm(forms.Form):
    amount = YuanField(label=_("Amount (yuan)"))
    reference = forms.CharField(label=_("Bank reference"), max_length=100, required=False)
