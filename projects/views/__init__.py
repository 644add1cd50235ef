from django.shortcuts import get_object_or_404, render

from ..models import Project


def project_list(request):
    projects = Project.objects.public().select_related("organization", "region")
    return render(request, "projects/project_list.html", {"projects": projects})


def project_detail(request, slug):
    project = get_object_or_404(
        Project.objects.public().select_related("organization", "region", "call"), slug=slug
    )
    return render(request, "projects/project_detail.html", {"project": project})
