import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organizations.models import Region
from organizations.region_choices import GroupedRegionChoiceField
from portal.core.search import matching, query_terms

from .enums import CallState
from .models import CallPage, CommunityNeed, ServiceCategory


class CallFilter(django_filters.FilterSet):
    """Public call index: by derived state and by service category (works without JS)."""

    state = django_filters.ChoiceFilter(
        label=_("State"),
        choices=CallState.choices,
        method="filter_state",
        empty_label=_("Any state"),
    )
    category = django_filters.ModelChoiceFilter(
        label=_("Service category"),
        queryset=ServiceCategory.objects.all(),
        method="filter_category",
        empty_label=_("Any category"),
    )

    class Meta:
        model = CallPage
        fields: list[str] = []

    def filter_state(self, queryset, name, value):
        return queryset.filter(CallPage.state_q(value, timezone.now()))

    def filter_category(self, queryset, name, value):
        # A call that allows every item (none listed) serves every category.
        matching = CallPage.objects.filter(allowed_service_items__category=value).values("pk")
        restricted = CallPage.objects.filter(allowed_service_items__isnull=False).values("pk")
        return queryset.filter(pk__in=matching) | queryset.exclude(pk__in=restricted)


class RegionFilter(django_filters.ModelChoiceFilter):
    """Grouped by district; communities named with their sub-district."""

    field_class = GroupedRegionChoiceField


# The needs board's sort options; the first is the default (the page opens on it).
NEED_ORDERINGS = {
    "newest": ("-created_at", "-pk"),
    "support": ("-support_count", "-created_at", "-pk"),
    "oldest": ("created_at", "pk"),
}


class NeedFilter(django_filters.FilterSet):
    region = RegionFilter(
        label=_("Sub-district or community"),
        queryset=Region.objects.filter(level__in=["subdistrict", "community"]).select_related(
            "parent"
        ),
        empty_label=_("Anywhere"),
    )
    category = django_filters.ModelChoiceFilter(
        label=_("Service category"),
        field_name="service_item__category",
        queryset=ServiceCategory.objects.all(),
        empty_label=_("Any category"),
    )
    q = django_filters.CharFilter(
        label=_("Words"),
        method="filter_search",
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    ordering = django_filters.ChoiceFilter(
        label=_("Sort by"),
        choices=[
            ("newest", _("Newest")),
            ("support", _("Most supported")),
            ("oldest", _("Oldest")),
        ],
        method="order",
        empty_label=None,
    )

    class Meta:
        model = CommunityNeed
        fields: list[str] = []

    def order(self, queryset, name, value):
        return queryset.order_by(*NEED_ORDERINGS[value])

    def filter_search(self, queryset, name, value):
        """The site search engine: title, description, places, service item."""
        if not query_terms(value):
            return queryset
        return matching(queryset, value)
