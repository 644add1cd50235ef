from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Site")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from .core.cache import connect_signals
        from .core.ids import register_id_converter
        from .core.spreadsheet import protect_wagtail_exports

        register_id_converter()
        connect_signals()
        protect_wagtail_exports()
        from organizations.sections import dashboard_sections

        if "portal/dashboard/my_data.html" not in dashboard_sections:
            dashboard_sections.append("portal/dashboard/my_data.html")
