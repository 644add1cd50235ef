"""Reads that compose the site shell (home page blocks, navigation, figures)."""

from django.db.models import QuerySet
from django.utils import timezone
from wagtail.models import Locale, Page


def _active_locale() -> Locale:
    try:
        return Locale.get_active()
    except Locale.DoesNotExist:
        return Locale.get_default()


def menu_pages(root: Page | None) -> QuerySet[Page]:
    """Live pages below the locale's home page that editors ticked "show in menus"."""
    if root is None:
        return Page.objects.none()
    return root.get_children().live().in_menu().only("id", "title", "url_path", "path", "depth")


def latest_news(*, limit: int = 3) -> QuerySet:
    """Newest live news pages in the active language, newest first."""
    from portal.models import NewsPage

    return (
        NewsPage.objects.live()
        .filter(locale=_active_locale())
        .order_by("-date", "-pk")
        .select_related("image")[:limit]
    )


def featured_calls(*, limit: int = 3) -> QuerySet:
    """Calls in the active language that are open now, closing soonest first; if none is
    open, the most recent ones."""
    from projects.models import CallPage

    now = timezone.now()
    calls = CallPage.objects.live().filter(locale=_active_locale())
    open_calls = calls.filter(opens_at__lte=now, closes_at__gt=now).order_by("closes_at")
    if open_calls.exists():
        return open_calls[:limit]
    return calls.order_by("-opens_at")[:limit]


def featured_projects(*, limit: int = 6) -> QuerySet:
    """Public projects, newest first, with what their cards show."""
    from projects.models import Project

    return (
        Project.objects.public()
        .select_related("organization", "region")
        .order_by("-created_at")[:limit]
    )


def site_figures() -> dict[str, int]:
    """Headline counts for the home page."""
    from organizations.models import Organization
    from projects.models import CallPage, Project

    return {
        "organizations": Organization.objects.verified().count(),
        "projects": Project.objects.public().count(),
        "calls": CallPage.objects.live().filter(locale=_active_locale()).count(),
    }
