from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FundingConfig(AppConfig):
    name = "funding"
    verbose_name = _("Funding and donations")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from wagtail import hooks

        from organizations.sections import DASHBOARD_SECTIONS, PROFILE_SECTIONS

        hooks.register(DASHBOARD_SECTIONS, lambda: "funding/dashboard/donations.html")
        hooks.register(PROFILE_SECTIONS, lambda: "funding/includes/organization_money.html")

        from portal.core.cache import watch_models

        from .models import (
            Disbursement,
            Donation,
            Expenditure,
            LedgerTransaction,
            MatchingRule,
            MatchPool,
            Sponsor,
        )

        watch_models(
            Donation,
            LedgerTransaction,
            Disbursement,
            Expenditure,
            Sponsor,
            MatchPool,
            MatchingRule,
        )
