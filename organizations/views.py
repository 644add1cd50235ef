from django.shortcuts import get_object_or_404, render

from .models import Organization


def organization_list(request):
    organizations = Organization.objects.verified().select_related("region")
    return render(
        request, "organizations/organization_list.html", {"organizations": organizations}
    )


def organization_detail(request, slug):
    organization = get_object_or_404(
        Organization.objects.verified().select_related("region"), slug=slug
    )
    return render(
        request, "organizations/organization_detail.html", {"organization": organization}
    )
