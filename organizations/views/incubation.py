"""Incubation pages: cohorts (public), applying, and an organization's incubation record."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.core.charts import PHONE_CANVAS, line_chart
from portal.core.csp import allow_inline_styles

from .. import incubation_services as services
from ..enums import ResidencyStatus
from ..incubation_forms import AgreementForm, ApplyForm, AssessmentForm, ServiceLogForm
from ..incubation_selectors import assessment_trend, graduation_checklist, residency_record
from ..middleware import staff_mfa_required
from ..models import Cohort, Residency


def cohort_list(request):
    today = timezone.localdate()
    cohorts = Cohort.objects.order_by("-starts_on", "name")
    return render(
        request, "organizations/incubation/cohort_list.html", {"cohorts": cohorts, "today": today}
    )


def cohort_detail(request, slug):
    cohort = get_object_or_404(Cohort, slug=slug)
    is_open = cohort.applications_open_until >= timezone.localdate()
    form = None
    if request.user.is_authenticated and is_open:
        form = ApplyForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            try:
                residency = services.apply_to_cohort(
                    cohort=cohort,
                    organization=form.cleaned_data["organization"],
                    by=request.user,
                    motivation=form.cleaned_data["motivation"],
                    needs=form.cleaned_data["needs"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    _(
                        "Your application was received. The programme "
                        "staff will reply within five working days."
                    ),
                )
                return redirect(residency.get_absolute_url())
    elif request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        raise PermissionDenied
    return render(
        request,
        "organizations/incubation/cohort_detail.html",
        {"cohort": cohort, "is_open": is_open, "form": form},
        status=400 if form is not None and form.errors else 200,
    )


def _record(request, pk) -> Residency:
    try:
        residency = residency_record(pk)
    except Residency.DoesNotExist as exc:
        raise Http404 from exc
    if not request.user.has_perm("organizations.view_incubation_record", residency):
        raise PermissionDenied
    return residency


def _render_record(
    request, residency, *, agreement_form=None, service_form=None, assessment_form=None, status=200
):
    labels, series = assessment_trend(residency)
    chart = (
        line_chart(
            title=_("Capacity assessment trend"),
            x_labels=labels,
            series=series,
            max_value=5,
            width=PHONE_CANVAS,
        )
        if labels
        else None
    )
    is_mentor = request.user.has_perm("organizations.mentor_residency", residency)
    is_admitted = residency.status == ResidencyStatus.ADMITTED
    # The assessment trend is a pygal chart with its own <style>: style-src may be inline.
    return allow_inline_styles(render)(
        request,
        "organizations/incubation/residency_record.html",
        {
            "residency": residency,
            "organization": residency.organization,
            "checklist": graduation_checklist(residency),
            "chart": chart,
            "trainings": residency.attendances.all(),
            "can_upload_agreement": is_admitted
            and request.user.has_perm("organizations.upload_agreement", residency),
            "can_log": is_mentor and is_admitted,
            "agreement_form": agreement_form or AgreementForm(),
            "service_form": service_form or ServiceLogForm(),
            "assessment_form": assessment_form or AssessmentForm(),
            "total_hours": sum(s.hours for s in residency.service_logs.all()),
        },
        status=status,
    )


@login_required
@staff_mfa_required
def residency_detail(request, pk):
    return _render_record(request, _record(request, pk))


@login_required
@staff_mfa_required
def agreement_upload(request, pk):
    residency = _record(request, pk)
    form = AgreementForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.upload_agreement(
                residency=residency, by=request.user, upload=form.cleaned_data["file"]
            )
        except ValidationError as error:
            form.add_error("file", error)
        else:
            messages.success(request, _("The agreement was uploaded."))
            return redirect(residency.get_absolute_url())
    elif request.method == "GET":
        return redirect(residency.get_absolute_url())
    return _render_record(request, residency, agreement_form=form, status=400)


@login_required
@staff_mfa_required
def agreement_download(request, pk):
    residency = _record(request, pk)
    if not residency.agreement:
        raise Http404
    response = FileResponse(
        residency.agreement.open("rb"),
        content_type=residency.agreement_content_type,
        as_attachment=True,
        filename=residency.agreement_name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@staff_mfa_required
def service_log(request, pk):
    residency = _record(request, pk)
    if not request.user.has_perm("organizations.mentor_residency", residency):
        raise PermissionDenied
    form = ServiceLogForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.log_service(
                residency=residency,
                by=request.user,
                kind=data["kind"],
                provided_on=data["provided_on"],
                hours=data["hours"],
                description=data["description"],
                grant_amount=data["grant_amount_yuan"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The service was logged."))
            return redirect(residency.get_absolute_url())
    elif request.method == "GET":
        return redirect(residency.get_absolute_url())
    return _render_record(request, residency, service_form=form, status=400)


@login_required
@staff_mfa_required
def assessment_create(request, pk):
    residency = _record(request, pk)
    if not request.user.has_perm("organizations.mentor_residency", residency):
        raise PermissionDenied
    form = AssessmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_assessment(
                residency=residency,
                by=request.user,
                assessed_on=form.cleaned_data["assessed_on"],
                scores=form.scores(),
                summary=form.cleaned_data["summary"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The assessment was recorded."))
            return redirect(residency.get_absolute_url())
    elif request.method == "GET":
        return redirect(residency.get_absolute_url())
    return _render_record(request, residency, assessment_form=form, status=400)
