"""Region pickers grouped the way people look for a place: an ``<optgroup>`` per district,
sub-districts by name, communities with their sub-district ("Yuanling Subdistrict ·
Community No. 1"; dozens of communities are called 第一社区). Every option carries its
parent's id (``data-parent``) so a page script can narrow a community picker to the
chosen sub-district (``organizations/js/region-picker.js``; without scripts every
community stays listed and the server checks the pair)."""

from django import forms
from django.forms.models import ModelChoiceIterator


def region_label(region) -> str:
    """A region's name in the active language, with its sub-district for a community."""
    if region.level == "community" and region.parent_id:
        return f"{region.parent.local_name} · {region.local_name}"
    return region.local_name


def _district_of(region):
    node = region
    while node is not None and node.level not in ("district", "city"):
        node = node.parent
    return node


class GroupedRegionIterator(ModelChoiceIterator):
    """Choices as ``(district name, [options])`` groups, in the queryset's order (by
    administrative code, so a district's places are contiguous)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        queryset = self.queryset.select_related("parent__parent")
        groups: dict[str, list] = {}
        for region in queryset:
            district = _district_of(region.parent)
            label = district.local_name if district is not None else ""
            groups.setdefault(label, []).append(self.choice(region))
        yield from groups.items()

    def __len__(self):
        return self.queryset.count() + (1 if self.field.empty_label is not None else 0)


class RegionSelect(forms.Select):
    """A ``<select>`` whose options carry ``data-parent`` (the parent region's id)."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)
        if instance is not None and instance.parent_id:
            option["attrs"]["data-parent"] = str(instance.parent_id)
        return option


class GroupedRegionChoiceField(forms.ModelChoiceField):
    """A region picker grouped by district (see the module docstring)."""

    iterator = GroupedRegionIterator
    widget = RegionSelect

    def label_from_instance(self, obj):
        return region_label(obj)
