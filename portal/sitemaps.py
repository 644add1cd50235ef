from django.db.models import Q
from wagtail.contrib.sitemaps import Sitemap
from wagtail.models import Page


class MultilingualSitemap(Sitemap):
    """Wagtail's sitemap lists only the site root's subtree; ours lists the subtree of
    every translation of the root too (English lives beside Chinese, not below it)."""

    def items(self):
        roots = self.get_wagtail_site().root_page.get_translations(inclusive=True)
        in_any_root = Q()
        for root in roots:
            in_any_root |= Q(path__startswith=root.path)
        return (
            Page.objects.filter(in_any_root)
            .live()
            .public()
            .order_by("path")
            .defer_streamfields()
            .specific()
        )
