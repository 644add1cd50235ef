"""Forms for the organization's pages and the staff actions."""

from datetime import date
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from portal.core.money import YuanField
from projects.uploads import check_upload

from .enums import DeliveryStage, ReportKind, allowed_next
from .models import Milestone
from .services import (
    RECEIPT_TYPES,
    DeliveryError,
    ExpenditureInput,
    IndicatorInput,
    PhotoInput,
    reencode_photo,
)

DATE = forms.DateInput(attrs={"type": "date"})


class AgreementForm(forms.Form):
    file = forms.FileField(label=_("Signed agreement (PDF, JPG or PNG)"))
    signed_on = forms.DateField(label=_("Signed on"), widget=DATE)


class AdvanceForm(forms.Form):
    to_stage = forms.ChoiceField(label=_("Move to"))
    note = forms.CharField(
        label=_("Note (required when terminating)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )

    def __init__(self, *args, delivery, **kwargs):
        super().__init__(*args, **kwargs)
        # Closing has its own page (the closing checklist).
        stages = [
            (s, DeliveryStage(s).label)
            for s in allowed_next(delivery.stage)
            if s != DeliveryStage.CLOSED
        ]
        # No stage is preselected: one careless click must not move a project on.
        self.fields["to_stage"].choices = [("", _("— choose a stage —"))] + stages if stages else []


class MilestoneForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    due_on = forms.DateField(label=_("Due date"), widget=DATE)
    deliverables = forms.CharField(
        label=_("Deliverables"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class DecisionForm(forms.Form):
    message = forms.CharField(
        label=_("Message to the organization"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )


class ExplanationForm(forms.Form):
    budget_line = forms.CharField(widget=forms.HiddenInput, max_length=200)
    explanation = forms.CharField(
        label=_("Explanation"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReportForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of report"), choices=ReportKind.choices)
    milestone = forms.ModelChoiceField(
        label=_("Milestone reached (if any)"), queryset=Milestone.objects.none(), required=False
    )
    period_end = forms.DateField(label=_("Reporting period ends"), widget=DATE)
    narrative = forms.CharField(
        label=_("What was done"), max_length=20000, widget=forms.Textarea(attrs={"rows": 8})
    )
    beneficiaries_reached = forms.IntegerField(
        label=_("Beneficiaries reached"), min_value=0, max_value=10_000_000
    )

    def __init__(self, *args, delivery, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["milestone"].queryset = delivery.milestones.filter(status="planned")


class IndicatorRow(forms.Form):
    name = forms.CharField(label=_("Indicator"), max_length=200)
    target = forms.CharField(label=_("Target"), max_length=100, required=False)
    actual = forms.DecimalField(
        label=_("Actual"),
        min_value=Decimal(0),
        max_value=Decimal("999999999999"),
        max_digits=14,
        decimal_places=2,
    )


class ExpenditureRow(forms.Form):
    budget_line = forms.ChoiceField(label=_("Budget line"))
    amount = YuanField(label=_("Amount (yuan)"), min_fen=1, max_fen=100_000_000_00)
    spent_on = forms.DateField(label=_("Spent on"), widget=DATE)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    receipt = forms.FileField(label=_("Receipt (PDF, JPG or PNG)"))
    explanation = forms.CharField(
        label=_("Why over budget"),
        help_text=_("Required when this takes the budget line more than a tenth over its budget."),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        if lines:
            self.fields["budget_line"].choices = [("", "—")] + [(x, x) for x in lines]
        else:
            # No budget was copied from an application: name the line.
            self.fields["budget_line"] = forms.CharField(label=_("Budget line"), max_length=200)

    def clean_spent_on(self):
        value = self.cleaned_data["spent_on"]
        if value > date.today():
            raise ValidationError(_("An expenditure cannot be dated in the future."))
        return value

    def clean_receipt(self):
        """Checked here (by content and size, as the service checks it again) so a
        rejected receipt is reported next to its own field."""
        value = self.cleaned_data["receipt"]
        check_upload(value, allowed=RECEIPT_TYPES)
        return value


class PhotoRow(forms.Form):
    image = forms.FileField(label=_("Photo (JPG, PNG or WebP)"))
    caption = forms.CharField(label=_("Caption"), max_length=200, required=False)

    def clean_image(self):
        """A photo the service would refuse (type, size, pixels, unreadable) is reported
        next to its field."""
        value = self.cleaned_data["image"]
        try:
            reencode_photo(value)
        except DeliveryError as error:
            raise ValidationError(error.messages) from None
        return value


class OptionalRowFormSet(forms.BaseFormSet):
    """Empty extra rows are fine; ``rows()`` gives the filled ones.

    Each form gets ``optional_row``: true for an extra row left blank, whose fields are
    then shown without the required mark (they are required only once the row is used).
    """

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.optional_row = form.empty_permitted and not (form.is_bound and form.has_changed())
        return form

    def filled(self):
        return [
            f
            for f in self.forms
            if f.has_changed() and f.cleaned_data and not self._should_delete_form(f)
        ]


IndicatorFormSet = forms.formset_factory(
    IndicatorRow,
    formset=OptionalRowFormSet,
    extra=2,
    max_num=50,
    validate_max=True,
    absolute_max=60,
)
ExpenditureFormSet = forms.formset_factory(
    ExpenditureRow,
    formset=OptionalRowFormSet,
    extra=3,
    max_num=50,
    validate_max=True,
    absolute_max=60,
)
PhotoFormSet = forms.formset_factory(
    PhotoRow, formset=OptionalRowFormSet, extra=3, max_num=10, validate_max=True, absolute_max=12
)


def report_forms(delivery, data=None, files=None, report=None):
    """The report form and its three row formsets, prefilled from ``report`` (resubmit)
    or from the application's indicators."""
    lines = [b["line"] for b in delivery.budget_lines]
    if report is not None:
        initial = {
            "kind": report.kind,
            "milestone": report.milestone_id,
            "period_end": report.period_end,
            "narrative": report.narrative,
            "beneficiaries_reached": report.beneficiaries_reached,
        }
        indicators = [
            {"name": i.name, "target": i.target, "actual": i.actual}
            for i in report.indicator_actuals.all()
        ]
    else:
        initial = {}
        indicators = [
            {"name": i["name"], "target": i.get("target", "")} for i in delivery.indicators
        ]
    return {
        "form": ReportForm(data, delivery=delivery, initial=initial),
        "indicators": IndicatorFormSet(data, prefix="ind", initial=indicators or None),
        "expenditures": ExpenditureFormSet(data, files, prefix="exp", form_kwargs={"lines": lines}),
        "photos": PhotoFormSet(data, files, prefix="photo"),
    }


def report_inputs(forms_: dict) -> dict:
    """Turn valid report forms into the keyword arguments of ``services.submit_report``."""
    data = forms_["form"].cleaned_data
    return {
        "kind": data["kind"],
        "milestone": data["milestone"],
        "period_end": data["period_end"],
        "narrative": data["narrative"],
        "beneficiaries_reached": data["beneficiaries_reached"],
        "indicators": [
            IndicatorInput(
                name=f.cleaned_data["name"],
                target=f.cleaned_data.get("target", ""),
                actual=f.cleaned_data["actual"],
            )
            for f in forms_["indicators"].filled()
        ],
        "expenditures": [
            ExpenditureInput(
                budget_line=f.cleaned_data["budget_line"],
                amount=f.cleaned_data["amount"],
                spent_on=f.cleaned_data["spent_on"],
                description=f.cleaned_data.get("description", ""),
                receipt=f.cleaned_data["receipt"],
                explanation=f.cleaned_data.get("explanation", ""),
            )
            for f in forms_["expenditures"].filled()
        ],
        "photos": [
            PhotoInput(upload=f.cleaned_data["image"], caption=f.cleaned_data.get("caption", ""))
            for f in forms_["photos"].filled()
        ],
    }


# --- closing and leftover money (admin) ---------------------------------------------------


class CloseForm(forms.Form):
    """One reason field per missing item a programme officer may close without."""

    note = forms.CharField(
        label=_("Note"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, checklist=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.override_keys = []
        for item in checklist:
            if not item.ok and item.overridable:
                name = f"override_{item.key}"
                self.fields[name] = forms.CharField(
                    label=_("Close without “%(item)s” because…") % {"item": item.label},
                    required=False,
                    max_length=2000,
                    widget=forms.Textarea(attrs={"rows": 2}),
                )
                self.override_keys.append(item.key)

    def overrides(self) -> dict[str, str]:
        return {key: self.cleaned_data.get(f"override_{key}", "") for key in self.override_keys}


class LeftoverForm(forms.Form):
    destination = forms.ChoiceField(label=_("Where the leftover money goes"))
    pool = forms.ModelChoiceField(label=_("Match pool"), queryset=None, required=False)
    target_project = forms.ModelChoiceField(
        label=_("Regranted to (a project in progress)"), queryset=None, required=False
    )
    undisbursed = YuanField(label=_("Never disbursed (yuan)"), min_fen=0, required=False)
    unspent = YuanField(
        label=_("Disbursed, not spent, returned by the organization (yuan)"),
        min_fen=0,
        required=False,
    )
    reference = forms.CharField(
        label=_("Bank reference of the organization's return"), max_length=100, required=False
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, project, **kwargs):
        from funding.enums import LeftoverDestination
        from funding.models import MatchPool
        from projects.enums import MONEY_OPEN_STATUSES
        from projects.models import Project

        super().__init__(*args, **kwargs)
        self.fields["destination"].choices = [("", _("— choose —")), *LeftoverDestination.choices]
        self.fields["pool"].queryset = MatchPool.objects.filter(
            is_closed=False, currency=project.currency
        ).order_by("name")
        self.fields["target_project"].queryset = (
            Project.objects.filter(status__in=MONEY_OPEN_STATUSES, currency=project.currency)
            .exclude(pk=project.pk)
            .order_by("title")
        )


class RefuseLeftoverForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


# --- budget lines (admin) -----------------------------------------------------------------


class BudgetLineRow(forms.Form):
    line = forms.CharField(label=_("Budget line"), max_length=200)
    category = forms.ChoiceField(label=_("Category"), required=False)
    source = forms.ChoiceField(label=_("Funding source"), required=False)
    amount = YuanField(label=_("Amount (yuan)"))

    def __init__(self, *args, **kwargs):
        from projects.enums import BudgetCategory, FundingSource

        initial = kwargs.get("initial") or {}
        # A value the lists do not know (older data) is shown as "—", not lost silently:
        # saving then stores it empty.
        if initial.get("category") not in ("", None, *BudgetCategory.values):
            initial["category"] = ""
        if initial.get("source") not in ("", None, *FundingSource.values):
            initial["source"] = ""
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "—"), *BudgetCategory.choices]
        self.fields["source"].choices = [("", "—"), *FundingSource.choices]


BudgetFormSet = forms.formset_factory(
    BudgetLineRow,
    formset=OptionalRowFormSet,
    extra=3,
    max_num=50,
    validate_max=True,
    absolute_max=60,
    can_delete=True,
)


class BudgetReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the budget is set or changed (the organization is told)"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
