import django_filters
from django.apps import apps
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.core.search import matching, query_terms

from .enums import OrganizationType, Rating, RegionLevel
from .models import Organization, Region


def _districts(request):
    return Region.objects.filter(level=RegionLevel.DISTRICT)


def _service_categories(request):
    return apps.get_model("projects", "ServiceCategory").objects.all()


class OrganizationDirectoryFilter(django_filters.FilterSet):
    """Filters of the public directory; ``q`` goes through the site search engine."""

    q = django_filters.CharFilter(label=_("Search"), method="filter_search")
    org_type = django_filters.ChoiceFilter(
        label=_("Organization type"), choices=OrganizationType.choices
    )
    district = django_filters.ModelChoiceFilter(
        label=_("District"), queryset=_districts, method="filter_district"
    )
    service_area = django_filters.ModelChoiceFilter(
        label=pgettext_lazy("service category", "Service area"),
        queryset=_service_categories,
        field_name="service_areas",
    )
    rating = django_filters.ChoiceFilter(
        label=_("Evaluation rating"), choices=Rating.choices, method="filter_rating"
    )

    class Meta:
        model = Organization
        fields = ["q", "org_type", "district", "service_area", "rating"]

    def filter_search(self, queryset, name, value):
        """The site search engine (name, short name, mission, places, service areas)."""
        if not query_terms(value):
            return queryset
        return matching(queryset, value)

    def filter_district(self, queryset, name, value):
        return queryset.filter(Q(region=value) | Q(region__parent=value))

    def filter_rating(self, queryset, name, value):
        return queryset.filter(rating=value, rating_expires_on__gte=timezone.localdate())
