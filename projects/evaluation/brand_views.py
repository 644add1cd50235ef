"""Front end: the showcase of brand projects (品牌项目) and starting an application from
a brand project's design."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.core.errors import show_error
from projects.models import Project

from . import brand


def brand_list(request):
    """Every brand project with its organization, final grade and score, method and
    how often its design has been taken up."""
    projects = list(brand.brand_projects())
    for project in projects:
        finals = project.final_evaluations
        project.final_evaluation = finals[0] if finals else None
    return render(request, "evaluation/brand_list.html", {"projects": projects})


class ReplicateForm(forms.Form):
    call = forms.ModelChoiceField(label=gettext_lazy("Open call"), queryset=None)
    organization = forms.ModelChoiceField(
        label=gettext_lazy("Applying organization"), queryset=None
    )

    def __init__(self, *args, calls, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        from projects.models import CallPage

        self.fields["call"].queryset = CallPage.objects.filter(pk__in=[c.pk for c in calls])
        self.fields["organization"].queryset = organizations


@login_required
def replicate(request, slug):
    """GET: choose an open call and one of your organizations. POST: start the draft
    from the brand project's design and open it."""
    project = get_object_or_404(
        Project.objects.public()
        .filter(brand_marked_at__isnull=False)
        .select_related("organization"),
        slug=slug,
    )
    calls = brand.open_calls()
    organizations = brand.editable_organizations(request.user)
    form = ReplicateForm(request.POST or None, calls=calls, organizations=organizations)
    if request.method == "POST" and form.is_valid():
        try:
            application = brand.replicate_brand_project(
                project=project,
                call=form.cleaned_data["call"],
                organization=form.cleaned_data["organization"],
                by=request.user,
            )
        except ValidationError as error:
            show_error(error, form=form)
        else:
            messages.success(
                request,
                _(
                    "A draft application was started from the design of “%(title)s”. "
                    "Fill in the dates, prices, team and your own details."
                )
                % {"title": project.title},
            )
            return redirect(application.get_absolute_url())
    return render(
        request,
        "evaluation/brand_replicate.html",
        {
            "project": project,
            "form": form,
            "calls": calls,
            "has_organizations": organizations.exists(),
        },
    )
