"""Admin: programme staff mark projects that finished with an 优 final evaluation as
brand projects (品牌项目), with a short method summary, and take them out again."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from portal.core.admin_listing import AdminPageMixin
from portal.core.errors import show_error
from projects.models import Project

from . import brand
from .enums import EvaluationKind, EvaluationStatus, Grade
from .views import StaffRequiredMixin


class BrandForm(forms.Form):
    method = forms.CharField(
        label=gettext_lazy("Method summary"),
        max_length=brand.METHOD_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy(
            "A few sentences on what makes the method work, for organizations that want "
            "to replicate it."
        ),
    )
    method_en = forms.CharField(
        label=gettext_lazy("English method summary"),
        max_length=brand.METHOD_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Optional. Shown on the English site."),
    )


class BrandListView(StaffRequiredMixin, AdminPageMixin, TemplateView):
    """Brand projects, and the projects that may become one (final evaluation
    published as 优)."""

    template_name = "evaluation/admin/brand_list.html"
    page_title = gettext_lazy("Brand projects")
    header_icon = "pick"

    def get_context_data(self, **kwargs):
        candidates = (
            Project.objects.filter(
                brand_marked_at__isnull=True,
                evaluations__kind=EvaluationKind.FINAL,
                evaluations__status=EvaluationStatus.PUBLISHED,
                evaluations__grade=Grade.EXCELLENT,
            )
            .select_related("organization")
            .order_by("title")[:200]
        )
        marked = Project.objects.filter(brand_marked_at__isnull=False).select_related(
            "organization"
        )
        return super().get_context_data(
            brands=list(marked.order_by("-brand_marked_at")), candidates=list(candidates), **kwargs
        )


class BrandMarkView(StaffRequiredMixin, AdminPageMixin, TemplateView):
    """Mark one project as a brand project (or edit its summary, or unmark it). A
    project without an 优 final evaluation is refused with the reason."""

    template_name = "evaluation/admin/brand_mark.html"
    page_title = gettext_lazy("Brand project")
    header_icon = "pick"

    def dispatch(self, request, *args, **kwargs):
        self.project = get_object_or_404(
            Project.objects.select_related("organization"), pk=kwargs["pk"]
        )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        initial = {"method": self.project.brand_method, "method_en": self.project.brand_method_en}
        return super().get_context_data(
            project=self.project,
            evaluation=brand.final_evaluation(self.project),
            refusal=brand.brand_refusal(self.project),
            form=kwargs.pop("form", None) or BrandForm(initial=initial),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        if request.POST.get("action") == "unmark":
            try:
                brand.unmark_brand_project(project=self.project, by=request.user)
            except ValidationError as error:
                show_error(error, request=request)
            else:
                messages.success(request, _("The project is no longer shown as a brand project."))
            return redirect("evaluation:brand_list")
        form = BrandForm(request.POST)
        if form.is_valid():
            try:
                brand.mark_brand_project(
                    project=self.project,
                    method=form.cleaned_data["method"],
                    method_en=form.cleaned_data["method_en"],
                    by=request.user,
                )
            except ValidationError as error:
                show_error(error, form=form)
            else:
                messages.success(request, _("The project is shown as a brand project."))
                return redirect("evaluation:brand_list")
        return self.render_to_response(self.get_context_data(form=form), status=400)
