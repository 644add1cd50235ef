import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organizations.models import Region

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


class NeedFilter(django_filters.FilterSet):
    region = django_filters.ModelChoiceFilter(
        label=_("Sub-district or community"),
        queryset=Region.objects.filter(level__in=["subdistrict", "community"]),
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
        field_name="title",
        lookup_expr="icontains",
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    ordering = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=(("support_count", "support_count"), ("created_at", "created_at")),
        field_labels={"support_count": _("Most supported"), "created_at": _("Newest")},
        empty_label=None,
    )

    class Meta:
        model = CommunityNeed
        fields: list[str] = []
