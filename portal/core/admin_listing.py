"""Shared pieces for Wagtail admin listings."""

from wagtail.admin.admin_url_finder import NullAdminURLFinder
from wagtail.admin.views.generic import IndexView


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
