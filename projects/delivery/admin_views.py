"""Staff views inside the Wagtail admin: a funded project's page and its actions."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from portal.core.admin_listing import AdminPageMixin
from portal.core.errors import show_error
from projects.models import Project

from . import selectors, services
from .enums import AWAITING_DECISION, MilestoneStatus
from .forms import AdvanceForm, AgreementForm, DecisionForm, MilestoneForm
from .models import Closure, Milestone, ProgressReport


def forbidden(request, message: str = "") -> TemplateResponse:
    return TemplateResponse(
        request,
        "delivery/admin/forbidden.html",
        {"message": message or _("Only programme staff may open this page.")},
        status=403,
    )


class StaffOnlyMixin:
    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("delivery.manage_delivery"):
            return forbidden(request)
        try:
            return super().dispatch(request, *args, **kwargs)
        except PermissionDenied as denied:
            return forbidden(request, str(denied.args[0]) if denied.args else "")


class DeliveryAdminView(StaffOnlyMixin, AdminPageMixin, TemplateView):
    """Everything staff need on one page; each form posts to its own action."""

    template_name = "delivery/admin/detail.html"
    header_icon = "clipboard-list"
    page_title = gettext_lazy("Funded project")

    ACTIONS = ("advance", "agreement", "milestone", "milestone_decision", "report_decision")

    def dispatch(self, request, *args, **kwargs):
        self.delivery = selectors.delivery_detail(kwargs["pk"])
        if self.delivery is None:
            from django.http import Http404

            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.delivery.project.title

    def get_context_data(self, **kwargs):
        delivery = self.delivery
        rows = services.budget_vs_actual(delivery)
        context = super().get_context_data(**kwargs)
        context.update(
            delivery=delivery,
            project=delivery.project,
            events=delivery.events.all(),
            milestones=delivery.milestones.all(),
            reports=delivery.reports.all(),
            budget_rows=rows,
            budget_total=sum(r.budget for r in rows),
            actual_total=sum(r.actual for r in rows),
            advance_form=kwargs.get("advance_form") or AdvanceForm(delivery=delivery),
            agreement_form=kwargs.get("agreement_form") or AgreementForm(),
            milestone_form=kwargs.get("milestone_form") or MilestoneForm(),
            decision_form=DecisionForm(),
            awaiting=AWAITING_DECISION,
            proposed=MilestoneStatus.PROPOSED,
            public_url=delivery.project.get_absolute_url(),
        )
        return context

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        handler = getattr(self, f"post_{action}", None) if action in self.ACTIONS else None
        if handler is None:
            messages.error(request, _("Unknown action."))
            return redirect(request.path)
        return handler(request)

    def _done(self, message: str):
        messages.success(self.request, message)
        return redirect("delivery_admin:detail", pk=self.delivery.pk)

    def post_advance(self, request):
        form = AdvanceForm(request.POST, delivery=self.delivery)
        if form.is_valid():
            try:
                services.advance(
                    self.delivery,
                    form.cleaned_data["to_stage"],
                    by=request.user,
                    note=form.cleaned_data["note"],
                )
            except ValidationError as error:
                show_error(error, request=request)
            else:
                return self._done(_("Stage changed."))
        else:
            messages.error(request, _("Choose a stage this project can move to."))
        return self.render_to_response(self.get_context_data(advance_form=form), status=400)

    def post_agreement(self, request):
        form = AgreementForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.record_agreement(
                    delivery=self.delivery,
                    upload=form.cleaned_data["file"],
                    signed_on=form.cleaned_data["signed_on"],
                    by=request.user,
                )
            except ValidationError as error:
                show_error(error, request=request)
            else:
                return self._done(_("Agreement saved."))
        return self.render_to_response(self.get_context_data(agreement_form=form), status=400)

    def post_milestone(self, request):
        form = MilestoneForm(request.POST)
        if form.is_valid():
            try:
                services.add_milestone(delivery=self.delivery, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                show_error(error, request=request)
            else:
                return self._done(_("Milestone added."))
        return self.render_to_response(self.get_context_data(milestone_form=form), status=400)

    def post_milestone_decision(self, request):
        milestone = get_object_or_404(
            Milestone, pk=request.POST.get("milestone"), delivery=self.delivery
        )
        try:
            services.decide_milestone(
                milestone=milestone,
                by=request.user,
                accept=request.POST.get("decision") == "accept",
                note=request.POST.get("message", ""),
            )
        except ValidationError as error:
            show_error(error, request=request)
            return redirect("delivery_admin:detail", pk=self.delivery.pk)
        return self._done(_("Milestone decision saved."))

    def post_report_decision(self, request):
        report = get_object_or_404(
            ProgressReport, pk=request.POST.get("report"), delivery=self.delivery
        )
        return redirect("delivery_admin:report", pk=self.delivery.pk, report_pk=report.pk)


class ReportAdminView(StaffOnlyMixin, AdminPageMixin, TemplateView):
    template_name = "delivery/admin/report.html"
    header_icon = "doc-full"
    page_title = gettext_lazy("Progress report")

    def dispatch(self, request, *args, **kwargs):
        self.delivery = selectors.delivery_detail(kwargs["pk"])
        self.report = (
            selectors.report_detail(self.delivery, kwargs["report_pk"]) if self.delivery else None
        )
        if self.report is None:
            from django.http import Http404

            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.delivery.project.title

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            delivery=self.delivery,
            report=self.report,
            form=kwargs.get("form") or DecisionForm(),
            awaiting=self.report.status in AWAITING_DECISION,
        )
        return context

    def post(self, request, *args, **kwargs):
        form = DecisionForm(request.POST)
        accept = request.POST.get("decision") == "accept"
        if form.is_valid():
            try:
                services.decide_report(
                    report=self.report,
                    by=request.user,
                    accept=accept,
                    message=form.cleaned_data["message"],
                )
            except ValidationError as error:
                show_error(error, request=request)
            else:
                messages.success(
                    request,
                    _("Report accepted.") if accept else _("Report returned to the organization."),
                )
                return redirect("delivery_admin:detail", pk=self.delivery.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class StartDeliveryView(StaffOnlyMixin, AdminPageMixin, TemplateView):
    """Start delivery for an approved project that has none (e.g. a reserve project
    funded later from another source)."""

    template_name = "delivery/admin/start.html"
    header_icon = "plus"
    page_title = gettext_lazy("Start delivery")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["projects"] = (
            Project.objects.filter(status__in=["approved", "in_progress"], delivery__isnull=True)
            .select_related("organization")
            .order_by("title")[:200]
        )
        return context

    def post(self, request, *args, **kwargs):
        project = get_object_or_404(Project, pk=request.POST.get("project"))
        try:
            delivery = services.start_delivery(project=project, by=request.user)
        except ValidationError as error:
            show_error(error, request=request)
            return redirect("delivery_admin:start")
        messages.success(request, _("Delivery started for “%(title)s”.") % {"title": project.title})
        return redirect(reverse("delivery_admin:detail", kwargs={"pk": delivery.pk}))


class ClosingAdminView(AdminPageMixin, TemplateView):
    """Closing (结项) and leftover money of one funded project: programme staff see the
    checklist and close; finance officers record, approve, reject or cancel where the
    leftover money goes (four-eyes, ``funding.services.leftover``)."""

    template_name = "delivery/admin/closing.html"
    header_icon = "tick-inverse"
    page_title = gettext_lazy("Closing and leftover money")
    ACTIONS = ("close", "record", "approve", "reject", "cancel")

    def dispatch(self, request, *args, **kwargs):
        from organizations.roles import FINANCE_OFFICER, has_role

        self.is_programme = request.user.has_perm("delivery.manage_delivery")
        self.is_finance = has_role(request.user, FINANCE_OFFICER)
        if not (self.is_programme or self.is_finance):
            return forbidden(
                request, _("Only programme staff and finance officers may open this page.")
            )
        self.delivery = selectors.delivery_detail(kwargs["pk"])
        if self.delivery is None:
            from django.http import Http404

            raise Http404
        try:
            return super().dispatch(request, *args, **kwargs)
        except PermissionDenied as denied:
            return forbidden(request, str(denied.args[0]) if denied.args else "")

    def get_page_subtitle(self):
        return self.delivery.project.title

    def get_context_data(self, **kwargs):
        from funding.models import LeftoverTransfer
        from funding.services.leftover import leftover_of

        from .closing import ITEM_LABELS, closing_checklist
        from .forms import CloseForm, LeftoverForm, RefuseLeftoverForm

        delivery, project = self.delivery, self.delivery.project
        checklist = closing_checklist(delivery)
        closure = Closure.objects.filter(delivery=delivery).select_related("closed_by").first()
        context = super().get_context_data(**kwargs)
        context.update(
            delivery=delivery,
            project=project,
            checklist=checklist,
            leftover=leftover_of(project),
            money=selectors.delivery_money(delivery),
            transfers=LeftoverTransfer.objects.filter(project=project)
            .select_related("pool", "target_project", "recorded_by", "approved_by", "decided_by")
            .order_by("-created_at", "-pk"),
            is_programme=self.is_programme,
            is_finance=self.is_finance,
            can_close=delivery.stage == "final",
            close_form=kwargs.get("close_form") or CloseForm(checklist=checklist),
            leftover_form=kwargs.get("leftover_form") or LeftoverForm(project=project),
            refuse_form=kwargs.get("refuse_form") or RefuseLeftoverForm(),
            closure=closure,
            closure_overrides=[
                (ITEM_LABELS.get(o.get("item"), o.get("item")), o.get("reason", ""))
                for o in (closure.overrides if closure else [])
            ],
        )
        return context

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        if action not in self.ACTIONS:
            messages.error(request, _("Unknown action."))
            return redirect(request.path)
        return getattr(self, f"post_{action}")(request)

    def _done(self, message: str):
        messages.success(self.request, message)
        return redirect("delivery_admin:closing", pk=self.delivery.pk)

    def post_close(self, request):
        from .closing import close_project, closing_checklist
        from .forms import CloseForm

        form = CloseForm(request.POST, checklist=closing_checklist(self.delivery))
        if form.is_valid():
            try:
                close_project(
                    delivery=self.delivery,
                    by=request.user,
                    overrides=form.overrides(),
                    note=form.cleaned_data["note"],
                )
            except ValidationError as error:
                show_error(error, request=request)
            else:
                return self._done(_("The project is closed."))
        return self.render_to_response(self.get_context_data(close_form=form), status=400)

    def post_record(self, request):
        from funding.services.leftover import record_leftover

        from .forms import LeftoverForm

        project = self.delivery.project
        form = LeftoverForm(request.POST, project=project)
        if form.is_valid():
            data = form.cleaned_data
            try:
                record_leftover(
                    project=project,
                    destination=data["destination"],
                    pool=data["pool"],
                    target_project=data["target_project"],
                    # Empty: everything of that part that is left.
                    undisbursed=data["undisbursed"],
                    unspent=data["unspent"],
                    reference=data["reference"],
                    note=data["note"],
                    recorded_by=request.user,
                )
            except ValidationError as error:
                show_error(error, form=form)
            else:
                return self._done(
                    _("Leftover transfer recorded; a second finance officer approves it.")
                )
        return self.render_to_response(self.get_context_data(leftover_form=form), status=400)

    def _transfer(self, request):
        from funding.models import LeftoverTransfer

        return get_object_or_404(
            LeftoverTransfer, pk=request.POST.get("transfer"), project=self.delivery.project
        )

    def post_approve(self, request):
        from funding.services.leftover import approve_leftover

        try:
            approve_leftover(transfer=self._transfer(request), approved_by=request.user)
        except ValidationError as error:
            show_error(error, request=request)
            return self.render_to_response(self.get_context_data(), status=400)
        return self._done(_("Leftover money moved."))

    def post_reject(self, request, cancel: bool = False):
        from funding.services.leftover import refuse_leftover

        from .forms import RefuseLeftoverForm

        form = RefuseLeftoverForm(request.POST)
        if form.is_valid():
            try:
                refuse_leftover(
                    transfer=self._transfer(request),
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                    cancel=cancel,
                )
            except ValidationError as error:
                show_error(error, form=form)
            else:
                return self._done(
                    _("Leftover transfer cancelled.")
                    if cancel
                    else _("Leftover transfer rejected.")
                )
        return self.render_to_response(self.get_context_data(refuse_form=form), status=400)

    def post_cancel(self, request):
        return self.post_reject(request, cancel=True)


class BudgetAdminView(StaffOnlyMixin, AdminPageMixin, TemplateView):
    """Set or revise a delivery's budget lines (seeded from the application's budget
    when it has none), with the change history."""

    template_name = "delivery/admin/budget.html"
    header_icon = "table"
    page_title = gettext_lazy("Budget lines")

    def dispatch(self, request, *args, **kwargs):
        self.delivery = selectors.delivery_detail(kwargs["pk"])
        if self.delivery is None:
            from django.http import Http404

            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.delivery.project.title

    def get_context_data(self, **kwargs):
        from .budget import seed_lines
        from .forms import BudgetFormSet, BudgetReasonForm
        from .models import BudgetRevision

        context = super().get_context_data(**kwargs)
        context.update(
            delivery=self.delivery,
            project=self.delivery.project,
            seeded=not self.delivery.budget_lines,
            formset=kwargs.get("formset")
            or BudgetFormSet(initial=seed_lines(self.delivery), prefix="lines"),
            reason_form=kwargs.get("reason_form") or BudgetReasonForm(),
            revisions=BudgetRevision.objects.filter(delivery=self.delivery).select_related(
                "changed_by"
            ),
        )
        return context

    def post(self, request, *args, **kwargs):
        from .budget import LineInput, revise_budget
        from .forms import BudgetFormSet, BudgetReasonForm

        formset = BudgetFormSet(request.POST, prefix="lines")
        reason_form = BudgetReasonForm(request.POST)
        if formset.is_valid() and reason_form.is_valid():
            lines = [
                LineInput(
                    line=form.cleaned_data["line"],
                    amount=form.cleaned_data["amount"],
                    category=form.cleaned_data.get("category") or "",
                    source=form.cleaned_data.get("source") or "",
                )
                for form in formset.filled()
            ]
            try:
                revise_budget(
                    delivery=self.delivery,
                    lines=lines,
                    reason=reason_form.cleaned_data["reason"],
                    by=request.user,
                )
            except ValidationError as error:
                show_error(error, request=request)
            else:
                messages.success(request, _("Budget lines saved."))
                return redirect("delivery_admin:budget", pk=self.delivery.pk)
        else:
            messages.error(request, _("Correct the errors below."))
        return self.render_to_response(
            self.get_context_data(formset=formset, reason_form=reason_form), status=400
        )


class StaffOrFinanceMixin:
    def dispatch(self, request, *args, **kwargs):
        from organizations.roles import FINANCE_OFFICER, has_role

        if not (
            request.user.has_perm("delivery.manage_delivery")
            or has_role(request.user, FINANCE_OFFICER)
        ):
            return forbidden(
                request, _("Only programme staff and finance officers may open this page.")
            )
        return super().dispatch(request, *args, **kwargs)


class CloseoutAdminView(StaffOrFinanceMixin, AdminPageMixin, TemplateView):
    """A call's close-out: every project's money and leftover, with totals; or, without
    a call, the calls that have projects."""

    template_name = "delivery/admin/closeout.html"
    header_icon = "table"
    page_title = gettext_lazy("Call close-out")

    def get_context_data(self, **kwargs):
        from projects.models import CallPage

        from .closeout import call_closeout

        context = super().get_context_data(**kwargs)
        call_pk = self.kwargs.get("call_pk")
        if call_pk is None:
            context["calls"] = (
                CallPage.objects.filter(projects__isnull=False).distinct().order_by("-pk")[:200]
            )
            return context
        call = get_object_or_404(CallPage, pk=call_pk)
        context["closeout"] = call_closeout(call)
        context["currency"] = call.currency
        return context
