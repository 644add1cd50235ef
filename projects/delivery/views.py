"""Front-end pages for the organization's members, and permission-checked files."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import BaseFormSet
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from organizations.middleware import staff_mfa_required

from . import selectors, services
from .enums import ACTIVE_STAGES, ReportStatus
from .forms import ExplanationForm, MilestoneForm, report_forms, report_inputs
from .models import Delivery, ProgressReport, ReportPhoto


def _delivery_for(request, pk: int) -> Delivery:
    """The delivery if the user is staff or a member of its organization; 404 otherwise
    (other people must not learn which projects exist behind the URL)."""
    delivery = selectors.delivery_detail(pk)
    if delivery is None or not services.can_view(request.user, delivery):
        raise Http404
    return delivery


def _private_file(field, *, filename: str, content_type: str, inline: bool = False):
    response = FileResponse(
        field.open("rb"), as_attachment=not inline, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@staff_mfa_required
def delivery_detail(request, pk):
    delivery = _delivery_for(request, pk)
    can_edit = services.is_member(request.user, delivery.project.organization_id, editor=True)
    rows = services.budget_vs_actual(delivery)
    reports = list(delivery.reports.all())
    return render(
        request,
        "delivery/delivery_detail.html",
        {
            "delivery": delivery,
            "project": delivery.project,
            "events": delivery.events.all(),
            "milestones": delivery.milestones.all(),
            "reports": reports,
            "budget_rows": rows,
            "budget_total": sum(r.budget for r in rows),
            "actual_total": sum(r.actual for r in rows),
            "can_edit": can_edit,
            "can_report": can_edit
            and delivery.stage in ACTIVE_STAGES
            and not any(r.status != ReportStatus.ACCEPTED for r in reports),
            "milestone_form": MilestoneForm(),
            "is_staff": request.user.has_perm("delivery.manage_delivery"),
            "money": selectors.delivery_money(delivery),
        },
    )


@login_required
@require_POST
def milestone_propose(request, pk):
    delivery = _delivery_for(request, pk)
    form = MilestoneForm(request.POST)
    if form.is_valid():
        try:
            services.add_milestone(delivery=delivery, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Milestone proposed; staff will review it."))
            return redirect("delivery:detail", pk=pk)
    else:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)
    return redirect("delivery:detail", pk=pk)


@login_required
@require_POST
def explain_variance(request, pk):
    delivery = _delivery_for(request, pk)
    form = ExplanationForm(request.POST)
    if form.is_valid():
        try:
            services.explain_variance(delivery=delivery, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Explanation saved."))
    else:
        messages.error(request, _("Write an explanation."))
    return redirect(f"{delivery.get_absolute_url()}#budget")


def _has_form_errors(forms_) -> bool:
    for form in forms_:
        if isinstance(form, BaseFormSet):
            if form.non_form_errors() or any(form.errors):
                return True
        elif form.errors:
            return True
    return False


def _report_page(request, delivery, report=None):
    if not services.is_member(request.user, delivery.project.organization_id, editor=True):
        raise PermissionDenied(_("Only owners and editors of the organization can do this."))
    errors: list[str] = []
    if request.method == "POST":
        forms_ = report_forms(delivery, request.POST, request.FILES, report=report)
        if all(f.is_valid() for f in forms_.values()):
            try:
                saved = services.submit_report(
                    delivery=delivery, by=request.user, report=report, **report_inputs(forms_)
                )
            except ValidationError as error:
                errors = list(error.messages)
            else:
                messages.success(request, _("Report submitted. Staff will review it."))
                return redirect("delivery:report", pk=delivery.pk, report_pk=saved.pk)
    else:
        forms_ = report_forms(delivery, report=report)
    return render(
        request,
        "delivery/report_form.html",
        {
            "delivery": delivery,
            "project": delivery.project,
            "report": report,
            "service_errors": errors,
            **forms_,
            "has_errors": bool(errors) or _has_form_errors(forms_.values()),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def report_create(request, pk):
    delivery = _delivery_for(request, pk)
    if delivery.stage not in ACTIVE_STAGES or any(
        r.status != ReportStatus.ACCEPTED for r in delivery.reports.all()
    ):
        messages.error(
            request,
            _(
                "A new report can be written only while the project is in "
                "progress and no other report is open."
            ),
        )
        return redirect("delivery:detail", pk=pk)
    return _report_page(request, delivery)


@login_required
def report_resubmit(request, pk, report_pk):
    delivery = _delivery_for(request, pk)
    report = get_object_or_404(ProgressReport, pk=report_pk, delivery=delivery)
    if report.status != ReportStatus.RETURNED:
        messages.error(request, _("Only a returned report can be resubmitted."))
        return redirect("delivery:report", pk=pk, report_pk=report_pk)
    return _report_page(request, delivery, report)


@login_required
@staff_mfa_required
def report_detail(request, pk, report_pk):
    delivery = _delivery_for(request, pk)
    report = selectors.report_detail(delivery, report_pk)
    if report is None:
        raise Http404
    return render(
        request,
        "delivery/report_detail.html",
        {
            "delivery": delivery,
            "project": delivery.project,
            "report": report,
            "can_edit": services.is_member(
                request.user, delivery.project.organization_id, editor=True
            ),
        },
    )


@login_required
@staff_mfa_required
def agreement_download(request, pk):
    delivery = _delivery_for(request, pk)
    if not delivery.agreement:
        raise Http404
    return _private_file(
        delivery.agreement,
        filename=delivery.agreement_name or "agreement",
        content_type=delivery.agreement_content_type or "application/octet-stream",
    )


@login_required
@staff_mfa_required
def receipt_download(request, pk, expenditure_pk):
    delivery = _delivery_for(request, pk)
    expenditure = get_object_or_404(delivery.project.expenditures.all(), pk=expenditure_pk)
    if not expenditure.receipt:
        raise Http404
    name = expenditure.receipt.name.rsplit("/", 1)[-1]
    return _private_file(
        expenditure.receipt, filename=name, content_type="application/octet-stream"
    )


def photo(request, photo_pk):
    """Photos of accepted reports of public projects are public; others are shown only to
    staff and the organization's members."""
    item = get_object_or_404(
        ReportPhoto.objects.select_related("report__delivery__project"), pk=photo_pk
    )
    project = item.report.delivery.project
    public = item.report.status == ReportStatus.ACCEPTED and project.status != "applying"
    if not public and not services.can_view(request.user, item.report.delivery):
        raise Http404
    response = FileResponse(item.image.open("rb"), content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    if not public:
        response["Cache-Control"] = "private, no-store"
    return response
