"""Public pages: the project directory and the project page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils.translation import gettext as _

from portal.core.cache import cache_anonymous_page
from portal.core.errors import show_error

from .. import services
from ..directory import (
    PAGE_SIZE,
    DirectoryPaginator,
    attach_money,
    filter_projects,
    project_page_context,
    public_projects,
    with_match_flag,
)
from ..forms import ProjectEnglishForm
from ..models import Project
from ..sections import project_sections

# The funding app's public money block (figures, latest gifts, donate button). The
# project page includes it when it exists, otherwise shows its own figures; the
# progress bar, the sponsors and the ledger entries are always ours.
FUNDING_MONEY_TEMPLATE = "funding/includes/project_money.html"


@cache_anonymous_page
def project_list(request):
    filterset = filter_projects(request.GET)
    page = DirectoryPaginator(
        filterset.qs,
        PAGE_SIZE,
        count_queryset=filterset.count_qs,
    ).get_page(request.GET.get("page"))
    projects = attach_money(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "projects/project_list.html",
        {
            "filter": filterset,
            "page_obj": page,
            "projects": projects,
            "active_sort": filterset.active_sort,
            "extra_query": f"&{query.urlencode()}" if query else "",
            "is_filtered": any(v for k, v in request.GET.items() if k not in ("page", "sort")),
        },
    )


def _funding_money_template() -> str:
    try:
        get_template(FUNDING_MONEY_TEMPLATE)
    except TemplateDoesNotExist:
        return ""
    return FUNDING_MONEY_TEMPLATE


@cache_anonymous_page
def project_detail(request, slug):
    project = get_object_or_404(with_match_flag(public_projects()), slug=slug)
    context = project_page_context(project=project)
    context["funding_money_template"] = _funding_money_template()
    context["project_sections"] = project_sections()
    return render(request, "projects/project_detail.html", context)


@login_required
def project_english(request, slug):
    """The organization's editors give the project an English title and summary."""
    project = get_object_or_404(Project.objects.select_related("organization"), slug=slug)
    if not request.user.has_perm("projects.edit_project_english", project):
        raise PermissionDenied
    form = ProjectEnglishForm(request.POST or None, instance=project)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_project_english(
                project=project,
                by=request.user,
                title_en=form.cleaned_data["title_en"],
                summary_en=form.cleaned_data["summary_en"],
            )
        except ValidationError as exc:
            show_error(exc, form=form)
        else:
            messages.success(request, _("The English version is saved."))
            return redirect(project.get_absolute_url())
    return render(request, "projects/project_english.html", {"project": project, "form": form})
