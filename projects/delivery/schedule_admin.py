"""Admin pages of the payment schedule: set it (programme staff), the payee's bank
details (staff and finance; verified by a second person), finance's list of due, held and
overdue tranches, and recording one from the schedule (finance officers)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.generic import TemplateView

from funding.errors import FundingError
from organizations.models import PayeeAccount
from organizations.roles import FINANCE_OFFICER, has_role
from portal.core.admin_listing import AdminPageMixin
from portal.core.errors import show_error

from . import selectors
from .admin_views import StaffOnlyMixin, forbidden
from .models import PaymentTranche
from .payee import can_manage_payee, save_payee_account, verify_payee_account
from .schedule import (
    TrancheInput,
    TrancheState,
    filter_rows,
    record_scheduled_tranche,
    set_payment_schedule,
    tranche_rows,
)
from .schedule_forms import GrantedForm, PayeeForm, RecordTrancheForm, ScheduleFormSet
from .services import DeliveryError


def _delivery_or_404(pk):
    delivery = selectors.delivery_detail(pk)
    if delivery is None:
        raise Http404
    return delivery


class ScheduleAdminView(StaffOnlyMixin, AdminPageMixin, TemplateView):
    """Set or replace a delivery's payment schedule; shows the tranches as they stand."""

    template_name = "delivery/admin/schedule.html"
    header_icon = "date"
    page_title = gettext_lazy("Payment schedule")

    def dispatch(self, request, *args, **kwargs):
        self.delivery = _delivery_or_404(kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.delivery.project.title

    def _initial(self):
        return [
            {
                "milestone": t.milestone_id,
                "percent": t.percent,
                "amount": None if t.percent else t.amount,
                "due_on": t.due_on,
                "needs_report": t.needs_report,
            }
            for t in self.delivery.schedule.all()
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        delivery = self.delivery
        context.update(
            delivery=delivery,
            project=delivery.project,
            rows=tranche_rows(PaymentTranche.objects.filter(delivery=delivery)),
            payee=PayeeAccount.objects.filter(
                organization_id=delivery.project.organization_id
            ).first(),
            granted_form=kwargs.get("granted_form")
            or GrantedForm(
                initial={"granted": delivery.granted_amount or delivery.budget_total or None}
            ),
            formset=kwargs.get("formset")
            or ScheduleFormSet(
                initial=self._initial(), prefix="tranches", form_kwargs={"delivery": delivery}
            ),
        )
        return context

    def post(self, request, *args, **kwargs):
        granted_form = GrantedForm(request.POST)
        formset = ScheduleFormSet(
            request.POST, prefix="tranches", form_kwargs={"delivery": self.delivery}
        )
        if granted_form.is_valid() and formset.is_valid():
            rows = [
                TrancheInput(
                    milestone=form.cleaned_data["milestone"],
                    due_on=form.cleaned_data["due_on"],
                    percent=form.cleaned_data.get("percent"),
                    amount=form.cleaned_data.get("amount"),
                    needs_report=form.cleaned_data.get("needs_report", False),
                )
                for form in formset.filled()
            ]
            try:
                set_payment_schedule(
                    delivery=self.delivery,
                    granted=granted_form.cleaned_data["granted"],
                    rows=rows,
                    by=request.user,
                )
            except DeliveryError as exc:
                show_error(exc, form=granted_form)
            else:
                messages.success(request, _("Payment schedule saved."))
                return redirect("delivery_admin:schedule", pk=self.delivery.pk)
        context = self.get_context_data(granted_form=granted_form, formset=formset)
        return self.render_to_response(context, status=400)


class PayeeAdminView(AdminPageMixin, TemplateView):
    """The payee's bank details of a delivery's organization: enter or change them
    (programme staff and finance), verify them (another of them)."""

    template_name = "delivery/admin/payee.html"
    header_icon = "form"
    page_title = gettext_lazy("Payee bank details")

    def dispatch(self, request, *args, **kwargs):
        if not can_manage_payee(request.user):
            return forbidden(request, _("Only programme staff and finance officers may do this."))
        self.delivery = _delivery_or_404(kwargs["pk"])
        self.organization = self.delivery.project.organization
        self.account = PayeeAccount.objects.filter(organization=self.organization).first()
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.organization.name

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        account = self.account
        initial = (
            {
                "account_name": account.account_name,
                "bank_name": account.bank_name,
                "account_number": account.account_number,
            }
            if account
            else {"account_name": self.organization.name}
        )
        context.update(
            delivery=self.delivery,
            organization=self.organization,
            account=account,
            can_verify=bool(
                account
                and not account.is_verified
                and account.entered_by_id != self.request.user.pk
            ),
            form=kwargs.get("form") or PayeeForm(initial=initial),
        )
        return context

    def post(self, request, *args, **kwargs):
        if request.POST.get("action") == "verify":
            if self.account is None:
                raise Http404
            try:
                verify_payee_account(account=self.account, by=request.user)
            except DeliveryError as exc:
                show_error(exc, request=request)
            else:
                messages.success(request, _("Bank details verified."))
            return redirect("delivery_admin:payee", pk=self.delivery.pk)
        form = PayeeForm(request.POST)
        if form.is_valid():
            try:
                save_payee_account(
                    organization=self.organization, by=request.user, **form.cleaned_data
                )
            except DeliveryError as exc:
                show_error(exc, form=form)
            else:
                messages.success(
                    request, _("Bank details saved. Another staff member must verify them.")
                )
                return redirect("delivery_admin:payee", pk=self.delivery.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


def _finance_or_staff(user) -> bool:
    return user.has_perm("delivery.manage_delivery") or has_role(user, FINANCE_OFFICER)


SHOW_CHOICES = [
    ("open", pgettext_lazy("tranche", "Not paid")),
    (TrancheState.DUE, TrancheState.LABELS[TrancheState.DUE]),
    (TrancheState.HELD, TrancheState.LABELS[TrancheState.HELD]),
    ("overdue", pgettext_lazy("tranche", "Overdue")),
    (TrancheState.UPCOMING, TrancheState.LABELS[TrancheState.UPCOMING]),
    (TrancheState.AWAITING, TrancheState.LABELS[TrancheState.AWAITING]),
    (TrancheState.PAID, TrancheState.LABELS[TrancheState.PAID]),
    ("all", pgettext_lazy("tranche", "All")),
]


class TrancheListView(AdminPageMixin, TemplateView):
    """Every scheduled tranche for finance (and programme staff): due, held with the
    reason, overdue, upcoming, awaiting approval, paid; filter with ``?show=``."""

    template_name = "delivery/admin/tranches.html"
    header_icon = "date"
    page_title = gettext_lazy("Scheduled tranches")

    def dispatch(self, request, *args, **kwargs):
        if not _finance_or_staff(request.user):
            return forbidden(request, _("Only programme staff and finance officers may do this."))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        show = self.request.GET.get("show", "open")
        if show not in dict(SHOW_CHOICES):
            show = "open"
        context.update(
            rows=filter_rows(tranche_rows(), show),
            show=show,
            show_choices=SHOW_CHOICES,
            can_record=self.request.user.has_perm("funding.record_money"),
        )
        return context


class RecordTrancheView(AdminPageMixin, TemplateView):
    """Record a scheduled tranche (finance officers): amount prefilled, with the
    milestone, the report that releases it, the payee and any hold."""

    template_name = "delivery/admin/record_tranche.html"
    header_icon = "form"
    page_title = gettext_lazy("Record scheduled tranche")

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("funding.record_money"):
            raise PermissionDenied
        self.tranche = get_object_or_404(PaymentTranche, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return str(self.tranche.delivery.project)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        row = tranche_rows(PaymentTranche.objects.filter(pk=self.tranche.pk))[0]
        context.update(
            row=row,
            tranche=row["tranche"],
            form=kwargs.get("form") or RecordTrancheForm(initial={"amount": row["tranche"].amount}),
        )
        return context

    def post(self, request, *args, **kwargs):
        form = RecordTrancheForm(request.POST)
        if form.is_valid():
            try:
                record_scheduled_tranche(
                    tranche=self.tranche,
                    amount=form.cleaned_data["amount"],
                    reference=form.cleaned_data["reference"],
                    by=request.user,
                )
            except (DeliveryError, FundingError, ValidationError) as exc:
                show_error(exc, form=form)
            else:
                messages.success(request, _("Recorded. A second finance officer must approve it."))
                return redirect("delivery_admin:tranches")
        return self.render_to_response(self.get_context_data(form=form), status=400)
