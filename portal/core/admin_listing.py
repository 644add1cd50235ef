"""Shared pieces for Wagtail admin listings."""

from wagtail.admin.admin_url_finder import NullAdminURLFinder
from wagtail.admin.views.generic import IndexView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin


def related_index_view(*related: str) -> type[IndexView]:
    """An admin listing (and its CSV/XLSX export) that loads ``related`` in the same query.

    Wagtail 8's ``ModelViewSet`` has no ``get_queryset(request)`` hook (``SnippetViewSet``
    still has one): the index view builds its rows from ``IndexView.get_base_queryset()``,
    so that is where the joins go. Use as ``index_view_class = related_index_view(...)``.
    """

    class RelatedIndexView(IndexView):
        def get_base_queryset(self):
            return super().get_base_queryset().select_related(*related)

    return RelatedIndexView


class WithoutEditView:
    """For a ``ModelViewSet`` whose ``get_urlpatterns`` leaves out the edit view (rows
    written by services only: donations, disbursements, ledger, webhook events).

    Wagtail links its rows from the site history, object usage pages and choosers through
    the viewset's admin URL finder, which assumes an ``edit`` URL and fails with
    ``NoReverseMatch``; these rows are shown without a link instead. Put it before
    ``ModelViewSet`` in the bases.
    """

    url_finder_class = NullAdminURLFinder


def restricted_chooser_viewset(visible):
    """A snippet chooser viewset whose views list and return only the objects the user
    may see: ``visible(queryset, user)`` narrows every queryset the chooser reads (the
    list, its search results, ``chosen/<pk>/`` and ``chosen-multiple/``), so another
    organization's draft cannot be picked or named by typing its id. Use as
    ``chooser_viewset_class = restricted_chooser_viewset(fn)`` on a ``SnippetViewSet``.
    """
    from wagtail.snippets.views.chooser import (
        ChooseResultsView,
        ChooseView,
        SnippetChooserViewSet,
        SnippetChosenMultipleView,
        SnippetChosenView,
    )

    class Visible:
        def get_object_list(self):
            return visible(super().get_object_list(), self.request.user)

    class RestrictedChooseView(Visible, ChooseView):
        pass

    class RestrictedChooseResultsView(Visible, ChooseResultsView):
        pass

    class RestrictedChosenView(SnippetChosenView):
        def get_object(self, pk):
            return visible(self.model_class.objects.filter(pk=pk), self.request.user).get()

    class RestrictedChosenMultipleView(SnippetChosenMultipleView):
        def get_objects(self, pks):
            return visible(super().get_objects(pks), self.request.user)

    class RestrictedChooserViewSet(SnippetChooserViewSet):
        choose_view_class = RestrictedChooseView
        choose_results_view_class = RestrictedChooseResultsView
        chosen_view_class = RestrictedChosenView
        chosen_multiple_view_class = RestrictedChosenMultipleView

    return RestrictedChooserViewSet


class AdminPageMixin(WagtailAdminTemplateMixin):
    """Wagtail's template mixin for our own admin pages. Wagtail's slim header shows the
    breadcrumbs and hides the ``<h1>`` visually; a page that gives no breadcrumbs of its
    own would show only "Home" there (首页), so its title becomes the last item."""

    def get_breadcrumbs_items(self):
        items = super().get_breadcrumbs_items()
        title = self.get_header_title()
        if title and items == self.breadcrumbs_items:
            items = [*items, {"url": "", "label": title}]
        return items
