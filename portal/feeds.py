"""Atom feed of new calls and newly funded projects (Django syndication)."""

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

FEED_ITEMS = 30


class CallsAndProjectsFeed(Feed):
    """Newest first: calls published in the visitor's language and projects in the
    funded-and-matched tier. Items carry no personal data."""

    feed_type = Atom1Feed
    title = _("New calls and funded projects")
    subtitle = _("Calls for community service projects and the projects funded from them.")

    def link(self):
        return reverse("projects:list")

    def items(self):
        from wagtail.models import Locale

        from projects.enums import ProjectTier
        from projects.models import CallPage, Project

        locale = Locale.get_active()
        calls = list(
            CallPage.objects.live()
            .filter(locale=locale)
            .order_by("-first_published_at")[:FEED_ITEMS]
        )
        projects = list(
            Project.objects.public()
            .filter(tier=ProjectTier.FUNDED_MATCHED)
            .select_related("organization")
            .order_by("-created_at")[:FEED_ITEMS]
        )
        for call in calls:
            call.feed_date = call.first_published_at or call.opens_at
        for project in projects:
            project.feed_date = project.created_at
        merged = sorted(calls + projects, key=lambda obj: obj.feed_date, reverse=True)
        return merged[:FEED_ITEMS]

    def item_title(self, item):
        if hasattr(item, "organization"):
            return str(_("Funded: %(title)s") % {"title": item.title})
        return str(_("New call: %(title)s") % {"title": item.title})

    def item_description(self, item):
        if hasattr(item, "organization"):
            return f"{item.organization.name} — {item.summary}"
        return item.summary

    def item_link(self, item):
        if hasattr(item, "organization"):
            return item.get_absolute_url()
        return item.url

    def item_guid(self, item):
        kind = "project" if hasattr(item, "organization") else "call"
        return f"{kind}-{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return item.feed_date

    def item_updateddate(self, item):
        return item.feed_date
