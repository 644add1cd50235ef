from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("Calls and projects")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from organizations.sections import dashboard_sections

        if "projects/dashboard/applications.html" not in dashboard_sections:
            dashboard_sections.append("projects/dashboard/applications.html")
