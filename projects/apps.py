from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("Calls and projects")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import m2m_changed, post_save
        from wagtail import hooks
        from wagtail.signals import page_published

        from organizations.models import Organization
        from organizations.sections import DASHBOARD_SECTIONS
        from portal.core.cache import watch_m2m, watch_models
        from portal.core.search import reindex_on_m2m_change

        from .models import CallPage, CommunityNeed, Project, ServiceCategory, ServiceItem

        # Keep the search index in step with what its text reads from other rows.
        m2m_changed.connect(reindex_on_m2m_change, sender=Project.service_items.through)
        m2m_changed.connect(reindex_on_m2m_change, sender=Organization.service_areas.through)
        post_save.connect(_reindex_organization_projects, sender=Organization)
        # A call's districts and service items (ParentalManyToMany) are written after
        # the page row, once its post_save has already indexed it: index again.
        page_published.connect(_reindex_published_call, sender=CallPage)

        # Public pages show these: a change invalidates the anonymous page cache.
        watch_models(Project, CallPage, ServiceCategory, ServiceItem, CommunityNeed)
        watch_m2m(Project.service_items.through, Project.addressed_needs.through)
        hooks.register(DASHBOARD_SECTIONS, lambda: "projects/dashboard/applications.html")


def _reindex_organization_projects(sender, instance, raw=False, **kwargs):
    """A project's index holds its organization's names: follow a rename."""
    from portal.core.search import reindex

    if not raw:
        reindex(instance.projects.only("pk"))


def _reindex_published_call(sender, instance, **kwargs):
    from portal.core.search import reindex

    reindex([instance])
