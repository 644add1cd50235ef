"""Integer ids as they come in from URLs and query strings, bounded to 64 bits.

Database ids are 64-bit. Django's ``int`` path converter accepts any run of digits, and
an id beyond 64 bits then reaches the database: SQLite refuses to bind it
(``OverflowError``, a 500) wherever Django does not check the range itself — lookups
through a one-to-one or foreign key, such as a Wagtail page type's ``page_ptr``.
Such an id names nothing, so it is refused before any query:

- in URL paths, the ``id`` converter (``<id:pk>``, registered at start-up) matches 1 to
  19 digits up to :data:`MAX_ID`; anything longer or larger is a 404;
- in query strings and forms, :class:`IdChoiceFilter` / :class:`IdChoiceField` answer
  "select a valid choice" for an id beyond :data:`MAX_ID`, like any unknown id.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.urls import register_converter

MAX_ID = 2**63 - 1


class IdConverter:
    """``<id:name>``: a positive database id within 64 bits, as ``int``."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValueError("id beyond 64 bits")
        return number

    def to_url(self, value: int | str) -> str:
        return str(value)


def register_id_converter() -> None:
    """Register ``<id:…>`` (called once from ``PortalConfig.ready``, before any URLconf
    is imported)."""
    from django.urls.converters import get_converters

    if "id" not in get_converters():
        register_converter(IdConverter, "id")


def is_out_of_range(value: object) -> bool:
    """Whether ``value`` reads as an integer beyond what a 64-bit id column holds."""
    try:
        number = int(str(value).strip())
    except ValueError:
        return False
    return not -MAX_ID - 1 <= number <= MAX_ID


class IdChoiceMixin:
    """A model choice field that treats an id beyond 64 bits as an unknown choice."""

    def to_python(self, value):
        if value not in self.empty_values and is_out_of_range(value):
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        return super().to_python(value)


class IdChoiceField(IdChoiceMixin, forms.ModelChoiceField):
    pass


class _FilterIdChoiceField(IdChoiceMixin, django_filters.fields.ModelChoiceField):
    pass


class _LocalizedPageChoiceField(_FilterIdChoiceField):
    """Pages named by their translation in the active language, where one exists: one
    query for all options, made the first time a label is needed."""

    def label_from_instance(self, obj):
        titles = getattr(self, "_localized_titles", None)
        if titles is None:
            titles = self._localized_titles = localized_titles(list(self.queryset))
        return titles.get(obj.pk, obj.title)


def localized_titles(pages) -> dict[int, str]:
    """``{page.pk: title}`` with each page's title in the active language's locale when
    a translation exists there (one query), its own title otherwise."""
    from wagtail.models import Locale, Page

    titles = {page.pk: page.title for page in pages}
    try:
        locale = Locale.get_active()
    except Locale.DoesNotExist:
        return titles
    foreign = {page.translation_key: page.pk for page in pages if page.locale_id != locale.pk}
    if not foreign:
        return titles
    translated = Page.objects.filter(translation_key__in=foreign, locale=locale).live()
    for key, title in translated.values_list("translation_key", "title"):
        titles[foreign[key]] = title
    return titles


class IdChoiceFilter(django_filters.ModelChoiceFilter):
    """``ModelChoiceFilter`` for a model whose ids may be looked up through a key
    (Wagtail page types): an id beyond 64 bits is refused like an unknown one."""

    field_class = _FilterIdChoiceField


class LocalizedPageChoiceFilter(IdChoiceFilter):
    """``IdChoiceFilter`` over Wagtail pages whose options show the title of the page's
    translation in the active language (the English call's title on ``/en/``)."""

    field_class = _LocalizedPageChoiceField
