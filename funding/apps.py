from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FundingConfig(AppConfig):
    name = "funding"
    verbose_name = _("Funding and donations")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from organizations.sections import dashboard_sections, profile_sections

        if "funding/dashboard/donations.html" not in dashboard_sections:
            dashboard_sections.append("funding/dashboard/donations.html")

        if "funding/includes/organization_money.html" not in profile_sections:
            profile_sections.append("funding/includes/organization_money.html")
