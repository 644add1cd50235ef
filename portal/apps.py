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
        from wagtail import hooks

        from organizations.sections import DASHBOARD_SECTIONS

        hooks.register(DASHBOARD_SECTIONS, lambda: "portal/dashboard/my_data.html")
        hooks.register(DASHBOARD_SECTIONS, lambda: "portal/dashboard/consents.html")
        self._connect_consent()

    def _connect_consent(self):
        from django.contrib.auth.signals import user_logged_in
        from django.core import checks
        from django.db.models.signals import post_delete, post_save
        from wagtail.signals import page_published, page_unpublished

        from .consent import check_policy_published, forget_policy, remember_consent_on_login
        from .models import PrivacyPolicyPage

        for signal in (page_published, page_unpublished, post_delete, post_save):
            signal.connect(
                forget_policy, sender=PrivacyPolicyPage, dispatch_uid=f"forget-policy-{id(signal)}"
            )
        user_logged_in.connect(remember_consent_on_login, dispatch_uid="portal-consent-login")
        checks.register(check_policy_published, checks.Tags.security, deploy=True)
