"""Staff admin for PDF reports (imported from ``portal/wagtail_hooks.py``).

- ``/admin/reports/``: pick a report kind and an id (residencies are listed, since their
  admin list has no hook for extra buttons);
- ``/admin/reports/<kind>/<id>/``: both languages' status (generated when, up to date
  or not), download links, "generate now";
- for a call: "Generate all reports of this call" (the call summary, every handed-in
  application's evaluation report and every project's final report, in both
  languages) → ``/admin/reports/batches/<id>/``, a progress page that refreshes itself
  until the ZIP is ready;
- buttons: "PDF reports" in the page explorer for calls (listing and header), and
  download buttons in the applications snippet listing.

Only programme staff (``portal.core.reports.STAFF_PERMISSION``, a named rule) get in.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView, TemplateView
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.widgets import Button

from portal.core import reports
from portal.core.admin_listing import AdminPageMixin

LANGUAGE_LABELS = {"zh-hans": "中文", "en": "English"}


def _require_staff(request) -> None:
    if not request.user.has_perm(reports.STAFF_PERMISSION):
        raise PermissionDenied


def language_links(kind: str, obj_id: int) -> list[dict]:
    """Per language: label, download URL, stored metadata and whether it is stale."""
    links = []
    for language in reports.LANGUAGES:
        meta = reports.read_sidecar(kind, obj_id, language)
        links.append(
            {
                "language": language,
                "label": LANGUAGE_LABELS[language],
                "url": reverse("report_download", args=[kind, obj_id, language]),
                "meta": meta,
                "stale": reports.is_stale(kind, obj_id, language),
            }
        )
    return links


def call_report_jobs(call) -> list[tuple[str, int, str]]:
    """Every report of a call: the summary, each handed-in application, each project."""
    from projects.enums import ApplicationStatus
    from projects.models import Application, Project

    kinds = reports.report_kinds()
    review_call_ids = {call.pk}
    if "call" in kinds:
        from projects.review.models import ReviewSettings

        review_call_ids |= set(
            ReviewSettings.objects.filter(call__translation_key=call.translation_key).values_list(
                "call_id", flat=True
            )
        )
    objects: list[tuple[str, int]] = [("call", call.pk)] if "call" in kinds else []
    if "application" in kinds:
        objects += [
            ("application", pk)
            for pk in Application.objects.filter(call_id__in=review_call_ids)
            .exclude(status__in=[ApplicationStatus.DRAFT, ApplicationStatus.WITHDRAWN])
            .order_by("pk")
            .values_list("pk", flat=True)
        ]
    if "project" in kinds:
        objects += [
            ("project", pk)
            for pk in Project.objects.filter(call_id__in=review_call_ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        ]
    return [(kind, pk, language) for kind, pk in objects for language in reports.LANGUAGES]


class PickReportForm(forms.Form):
    kind = forms.ChoiceField(label=_("Report"))
    obj_id = forms.IntegerField(
        label=_("ID"),
        min_value=1,
        help_text=_("The number of the application, call page, residency, project or receipt."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [
            (name, kind.label) for name, kind in sorted(reports.report_kinds().items())
        ]

    def clean(self):
        data = super().clean()
        if data.get("kind") and data.get("obj_id"):
            try:
                reports.get_report_object(data["kind"], data["obj_id"])
            except reports.ReportError:
                raise forms.ValidationError(
                    _("There is no %(kind)s with the ID %(id)s.")
                    % {"kind": reports.get_kind(data["kind"]).label, "id": data["obj_id"]},
                ) from None
        return data


class ReportIndexView(AdminPageMixin, FormView):
    template_name = "reports/admin/index.html"
    form_class = PickReportForm
    page_title = _("PDF reports")
    header_icon = "doc-full"

    def dispatch(self, request, *args, **kwargs):
        _require_staff(request)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        from organizations.models import Residency
        from projects.models import Project

        residencies = (
            Residency.objects.filter(status="admitted")
            .select_related("organization", "cohort")
            .order_by("-applied_at")[:200]
        )
        # Funded projects have no snippet listing to hang buttons on: list them here.
        projects = (
            Project.objects.exclude(status="applying")
            .select_related("organization")
            .order_by("-created_at")[:200]
        )
        return super().get_context_data(
            residencies=residencies, projects=projects, **kwargs
        )  # form kwargs

    def form_valid(self, form):
        return redirect(
            "reports_admin:object", form.cleaned_data["kind"], form.cleaned_data["obj_id"]
        )


class ReportObjectView(AdminPageMixin, TemplateView):
    template_name = "reports/admin/object.html"
    header_icon = "doc-full"

    def dispatch(self, request, *args, **kwargs):
        _require_staff(request)
        try:
            self.kind = reports.get_kind(kwargs["kind"])
            self.obj = reports.get_report_object(kwargs["kind"], kwargs["obj_id"])
        except reports.ReportError as exc:
            raise Http404(str(exc)) from exc
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return str(self.kind.label)

    def get_page_subtitle(self):
        return str(self.obj)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("reports_admin:index"), "label": _("PDF reports")},
            {"url": "", "label": str(self.obj)},
        ]

    def get_context_data(self, **kwargs):
        obj_id = self.kwargs["obj_id"]
        jobs = call_report_jobs(self.obj) if self.kind.name == "call" else []
        # The URL kwargs (kind, obj_id) are replaced, not forwarded.
        return super().get_context_data(
            kind=self.kind,
            obj=self.obj,
            obj_id=obj_id,
            links=language_links(self.kind.name, obj_id),
            batch_jobs=len(jobs),
        )

    def post(self, request, *args, **kwargs):
        obj_id = self.kwargs["obj_id"]
        if request.POST.get("action") == "batch" and self.kind.name == "call":
            jobs = call_report_jobs(self.obj)
            batch_id = reports.start_report_batch(jobs, label=str(self.obj))
            return redirect("reports_admin:batch", batch_id)
        for language in reports.LANGUAGES:
            reports.enqueue_report(self.kind.name, obj_id, language, force=True)
        messages.success(request, _("The reports are being generated."))
        return redirect("reports_admin:object", self.kind.name, obj_id)


class BatchView(AdminPageMixin, TemplateView):
    """Progress of a bulk generation; refreshes itself until done."""

    template_name = "reports/admin/batch.html"
    header_icon = "doc-full"
    page_title = _("Report batch")

    def dispatch(self, request, *args, **kwargs):
        _require_staff(request)
        self.status = reports.batch_status(kwargs["batch_id"])
        if self.status is None:
            raise Http404("no such batch")
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.status.get("label", "")

    def get_context_data(self, **kwargs):
        status = self.status
        total = status.get("total") or 0
        percent = round(status.get("done", 0) * 100 / total) if total else 100
        return super().get_context_data(
            status=status,
            percent=percent,
            batch_id=self.kwargs["batch_id"],
            running=status["state"] in ("queued", "running"),
            zip_url=reverse("report_batch", args=[self.kwargs["batch_id"]]),
        )


@hooks.register("register_admin_urls")
def register_report_admin_urls():
    from django.urls import include

    urls = [
        path("", ReportIndexView.as_view(), name="index"),
        path("batches/<str:batch_id>/", BatchView.as_view(), name="batch"),
        path("<slug:kind>/<id:obj_id>/", ReportObjectView.as_view(), name="object"),
    ]
    return [path("reports/", include((urls, "reports_admin"), namespace="reports_admin"))]


class StaffMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm(reports.STAFF_PERMISSION)


@hooks.register("register_reports_menu_item")
def register_reports_menu_item():
    return StaffMenuItem(
        _("PDF reports"), reverse("reports_admin:index"), icon_name="doc-full", order=900
    )


def _is_call(page) -> bool:
    from projects.models import CallPage

    return isinstance(page.specific_deferred, CallPage)


@hooks.register("register_page_listing_more_buttons")
def call_listing_report_button(page, user, next_url=None):
    if user.has_perm(reports.STAFF_PERMISSION) and _is_call(page):
        yield Button(
            _("PDF reports"),
            reverse("reports_admin:object", args=["call", page.pk]),
            icon_name="doc-full",
            priority=90,
        )


@hooks.register("register_page_header_buttons")
def call_header_report_button(page, user, view_name=None, next_url=None):
    if user.has_perm(reports.STAFF_PERMISSION) and _is_call(page):
        yield Button(
            _("PDF reports"),
            reverse("reports_admin:object", args=["call", page.pk]),
            icon_name="doc-full",
            priority=90,
        )


# Snippet models with a report kind whose id is the object's pk.
SNIPPET_REPORT_KINDS = {
    ("projects", "application"): "application",
    ("projects", "project"): "project",
    ("organizations", "residency"): "incubation",
}


@hooks.register("register_snippet_listing_buttons")
def snippet_report_buttons(instance, user, next_url=None):
    kind = SNIPPET_REPORT_KINDS.get((instance._meta.app_label, instance._meta.model_name))
    if (
        kind is None
        or kind not in reports.report_kinds()
        or not user.has_perm(reports.STAFF_PERMISSION)
    ):
        return []
    buttons = [
        Button(
            _("PDF report (%(language)s)") % {"language": label},
            reverse("report_download", args=[kind, instance.pk, language]),
            icon_name="download",
            priority=80 + i,
        )
        for i, (language, label) in enumerate(LANGUAGE_LABELS.items())
    ]
    buttons.append(
        Button(
            _("PDF reports"),
            reverse("reports_admin:object", args=[kind, instance.pk]),
            icon_name="doc-full",
            priority=85,
        )
    )
    return buttons
