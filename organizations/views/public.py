"""Public pages: the directory of verified organizations and their profiles."""

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from ..filters import OrganizationDirectoryFilter
from ..sections import profile_sections
from ..selectors import public_directory

PAGE_SIZE = 20


def organization_list(request):
    filterset = OrganizationDirectoryFilter(
        request.GET or None, queryset=public_directory(), request=request
    )
    queryset = filterset.qs if filterset.is_bound and filterset.is_valid() else public_directory()
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "organizations/organization_list.html",
        {
            "filter": filterset,
            "page_obj": page,
            "organizations": page.object_list,
            "extra_query": f"&{query.urlencode()}" if query else "",
        },
    )


def organization_detail(request, slug):
    organization = get_object_or_404(public_directory(), slug=slug)
    projects = organization.projects.exclude(status="applying").order_by("-created_at")[:20]
    return render(
        request,
        "organizations/organization_detail.html",
        {
            "organization": organization,
            "projects": projects,
            "profile_sections": profile_sections(),
        },
    )
