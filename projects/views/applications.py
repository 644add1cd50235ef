"""Applicant-facing views: start, edit step by step (with autosave), submit, withdraw."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from organizations.middleware import staff_mfa_required
from portal.core.errors import show_error
from portal.core.money import format_fen
from portal.core.notifications.models import Notification

from .. import services
from ..enums import APPLICATION_TRANSITIONS, ApplicationStatus, ApplicationStep
from ..forms import (
    ROWS_PREFIX,
    AttachmentUploadForm,
    StartApplicationForm,
    StepBundle,
    raw_from_post,
)
from ..models import ApplicationAttachment, CallPage
from ..presenters import Lookups, present
from ..review import selectors as review_selectors
from ..review import services as review_services
from ..review.forms import AppealForm
from ..review.models import Appeal
from ..selectors import (
    application_for_member,
    application_timeline,
    applications_for_user,
    call_page_context,
)

STEPS = ApplicationStep.values


def _member_application(request, pk):
    """The application and membership, or 404 for anyone outside the organization."""
    found = application_for_member(user=request.user, pk=pk)
    if found is None:
        raise Http404
    return found


@login_required
@require_POST
def start_application(request, call_id):
    call = get_object_or_404(CallPage.objects.live(), pk=call_id)
    context = call_page_context(call=call, user=request.user)
    form = StartApplicationForm(request.POST, options=context["apply_options"])
    if not form.is_valid():
        messages.error(request, _("Choose an organization you can apply for."))
        return redirect(call.url)
    organization = next(
        o["organization"]
        for o in context["apply_options"]
        if o["organization"].pk == form.cleaned_data["organization"]
    )
    try:
        application = services.start_application(
            call=call, organization=organization, by=request.user
        )
    except ValidationError as exc:
        show_error(exc, request=request)
        return redirect(call.url)
    messages.success(
        request,
        _(
            "Your draft application was created. It is saved as you "
            "type; you can come back to it at any time."
        ),
    )
    return redirect("projects:application_step", pk=application.pk, step=STEPS[0])


@login_required
def application_list(request):
    return render(
        request,
        "projects/application_list.html",
        {"applications": applications_for_user(request.user)},
    )


def _evaluation_report_available(user, application) -> bool:
    """Whether ``user`` may download the application's evaluation report PDF (the review
    app's ``application`` report kind: members once the call's results are published).
    False when no such report kind is installed."""
    from portal.core.reports import ReportError, can_view_report

    if application.status in (ApplicationStatus.DRAFT, ApplicationStatus.WITHDRAWN):
        return False  # never reviewed: nothing to report
    try:
        return can_view_report(user, "application", application)
    except ReportError:
        return False


@login_required
def application_detail(request, pk, appeal_form=None, status=200):
    application, membership = _member_application(request, pk)
    snapshot_lookups = Lookups([application.answers])
    outcome = review_selectors.published_outcome(application)
    return render(
        request,
        "projects/application_detail.html",
        {
            "outcome": outcome,
            "appeal_form": appeal_form or AppealForm(),
            "can_appeal": outcome is not None and outcome.can_appeal and membership.can_edit,
            "application": application,
            "membership": membership,
            "report_available": _evaluation_report_available(request.user, application),
            "can_edit": membership.can_edit and application.is_editable,
            "can_withdraw": membership.can_edit
            and (application.status, ApplicationStatus.WITHDRAWN) in APPLICATION_TRANSITIONS
            and (application.call.is_open() or application.status == ApplicationStatus.RETURNED),
            "timeline": application_timeline(application),
            "sections": present(application.answers, snapshot_lookups),
            "attachments": application.attachments.all(),
            "completed": application.completed_steps(),
            "missing": application.missing_steps(),
            "steps": ApplicationStep.choices,
        },
        status=status,
    )


def _step_context(application, step, bundle, membership):
    index = STEPS.index(step)
    return {
        "application": application,
        "step": step,
        "step_label": ApplicationStep(step).label,
        "steps": ApplicationStep.choices,
        "step_number": index + 1,
        "previous_step": STEPS[index - 1] if index else None,
        "next_step": STEPS[index + 1] if index + 1 < len(STEPS) else None,
        "bundle": bundle,
        "completed": application.completed_steps(),
        "has_draft": step in application.drafts,
        "budget": bundle.budget_preview(),
        "upload_form": AttachmentUploadForm() if step == ApplicationStep.ATTACHMENTS else None,
        "attachments": (
            application.attachments.all() if step == ApplicationStep.ATTACHMENTS else ()
        ),
        "membership": membership,
    }


def _save_step(request, application, step):
    """Validate what was posted; keep it as answers if valid, as a draft if not."""
    data = request.POST.copy()
    if "add_row" in data:
        total_key = f"{ROWS_PREFIX}-TOTAL_FORMS"
        data[total_key] = str(int(data.get(total_key, "0") or 0) + 1)
    bundle = StepBundle(application=application, step=step, data=data)
    if "add_row" not in data and bundle.is_valid():
        application = services.save_step_answers(
            application=application,
            step=step,
            answers=bundle.answers(),
            by=request.user,
            cited_need_ids=bundle.cited_need_ids(),
        )
        return application, bundle, True
    application = services.save_step_draft(
        application=application, step=step, raw=raw_from_post(data), by=request.user
    )
    if "add_row" in data:
        bundle = StepBundle.from_draft(application=application, step=step)
        bundle.is_bound = False  # a fresh row is not an error
    return application, bundle, False


@login_required
def application_step(request, pk, step):
    if step not in STEPS:
        raise Http404
    application, membership = _member_application(request, pk)
    if not (membership.can_edit and application.is_editable):
        return redirect(application.get_absolute_url())
    if request.method == "POST":
        try:
            application, bundle, valid = _save_step(request, application, step)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, str(exc.messages[0] if hasattr(exc, "messages") else exc))
            return redirect(application.get_absolute_url())
        if valid:
            index = STEPS.index(step)
            if "next" in request.POST and index + 1 < len(STEPS):
                messages.success(request, _("Step saved."))
                return redirect("projects:application_step", pk=pk, step=STEPS[index + 1])
            if "next" in request.POST:
                return redirect(application.get_absolute_url())
            messages.success(request, _("Step saved."))
            return redirect("projects:application_step", pk=pk, step=step)
        status = 200 if "add_row" in request.POST else 400
        return render(
            request,
            "projects/application_step.html",
            _step_context(application, step, bundle, membership),
            status=status,
        )
    bundle = StepBundle.from_draft(application=application, step=step)
    return render(
        request,
        "projects/application_step.html",
        _step_context(application, step, bundle, membership),
    )


@login_required
@require_POST
def application_autosave(request, pk, step):
    """Background save from the step page's script: JSON in, JSON out, nothing lost."""
    if step not in STEPS or step == ApplicationStep.ATTACHMENTS:
        raise Http404
    application, membership = _member_application(request, pk)
    try:
        application, bundle, valid = _save_step(request, application, step)
    except PermissionDenied:
        return JsonResponse(
            {"saved": False, "error": _("You cannot edit this application.")}, status=403
        )
    except ValidationError as exc:
        return JsonResponse({"saved": False, "error": exc.messages[0]}, status=409)
    body = {
        "saved": True,
        "complete": valid,
        "saved_at": timezone.localtime(application.updated_at).strftime("%H:%M:%S"),
    }
    totals = bundle.budget_preview()
    if totals is not None:
        body["totals"] = {
            key: format_fen(value, application.currency) for key, value in totals.items()
        }
    return JsonResponse(body)


@login_required
@require_POST
def application_submit(request, pk):
    application, _membership = _member_application(request, pk)
    try:
        services.submit_application(application=application, by=request.user)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        show_error(exc, request=request)
        return redirect(application.get_absolute_url())
    messages.success(
        request,
        _(
            "Your application was submitted. A confirmation has been "
            "sent to your organization's members."
        ),
    )
    return redirect(application.get_absolute_url())


@login_required
@require_POST
def application_withdraw(request, pk):
    application, _membership = _member_application(request, pk)
    try:
        services.withdraw_application(application=application, by=request.user)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        show_error(exc, request=request)
        return redirect(application.get_absolute_url())
    messages.success(request, _("The application was withdrawn."))
    return redirect(application.get_absolute_url())


@login_required
@require_POST
def appeal_submit(request, pk):
    """The applicant's online appeal against its published decision."""
    application, _membership = _member_application(request, pk)
    form = AppealForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            review_services.submit_appeal(
                application=application,
                by=request.user,
                grounds=form.cleaned_data["grounds"],
                attachment=form.cleaned_data.get("attachment"),
            )
        except PermissionDenied as exc:
            form.add_error(None, str(exc.args[0]) if exc.args else _("Not allowed."))
        except ValidationError as exc:
            show_error(exc, form=form)
        else:
            messages.success(request, _("Your appeal is submitted; you will be notified."))
            return redirect(application.get_absolute_url())
    return application_detail(request, pk, appeal_form=form, status=400)


@login_required
@require_POST
def appeal_withdraw(request, pk):
    application, _membership = _member_application(request, pk)
    appeal = get_object_or_404(
        Appeal, decision__application=application, organization=application.organization
    )
    try:
        review_services.withdraw_appeal(appeal=appeal, by=request.user)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        show_error(exc, request=request)
        return redirect(application.get_absolute_url())
    messages.success(request, _("Your appeal is withdrawn."))
    return redirect(application.get_absolute_url())


@login_required
@require_POST
def attachment_upload(request, pk):
    application, membership = _member_application(request, pk)
    step = ApplicationStep.ATTACHMENTS
    form = AttachmentUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_attachment(
                application=application,
                upload=form.cleaned_data["file"],
                description=form.cleaned_data["description"],
                content_type=form.content_type,
                by=request.user,
            )
        except (ValidationError, PermissionDenied):
            raise Http404 from None
        messages.success(request, _("The file was attached."))
        return redirect("projects:application_step", pk=pk, step=step)
    context = _step_context(
        application, step, StepBundle.from_draft(application=application, step=step), membership
    )
    context["upload_form"] = form
    return render(request, "projects/application_step.html", context, status=400)


@login_required
@require_POST
def attachment_delete(request, pk, attachment_pk):
    application, _membership = _member_application(request, pk)
    attachment = get_object_or_404(ApplicationAttachment, pk=attachment_pk, application=application)
    try:
        services.delete_attachment(attachment=attachment, by=request.user)
    except (ValidationError, PermissionDenied):
        raise Http404 from None
    messages.success(request, _("The file was removed."))
    return redirect("projects:application_step", pk=pk, step=ApplicationStep.ATTACHMENTS)


@login_required
@staff_mfa_required
def attachment_download(request, pk, attachment_pk):
    """Members of the organization and programme staff only; everyone else gets 404."""
    attachment = get_object_or_404(
        ApplicationAttachment.objects.select_related("application"),
        pk=attachment_pk,
        application_id=pk,
    )
    if not request.user.has_perm("projects.manage_applications"):
        _member_application(request, pk)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def notifications(request):
    items = Notification.objects.for_user(request.user)[:100]
    if request.method == "POST":
        Notification.objects.for_user(request.user).unread().update(read_at=timezone.now())
        return redirect("projects:notifications")
    return render(request, "projects/notifications.html", {"notifications": items})
