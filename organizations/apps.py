from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganizationsConfig(AppConfig):
    name = "organizations"
    verbose_name = _("Organizations")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from allauth.mfa.signals import authenticator_added

        from portal.core.cache import watch_models

        from .models import Organization, Region

        watch_models(Organization, Region)

        from .middleware import record_code_on_enrolment

        authenticator_added.connect(
            record_code_on_enrolment, dispatch_uid="organizations_mfa_enrolment_record"
        )
