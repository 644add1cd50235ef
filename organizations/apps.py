from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def grant_staff_permissions(sender, **kwargs):
    """Give the staff role groups the model permissions their admin work needs.

    Runs after every migrate (permissions exist only then); idempotent.
    """
    from django.contrib.auth.models import Group, Permission

    from . import roles

    using = kwargs.get("using", "default")
    perms = Permission.objects.using(using).filter(content_type__app_label="organizations")
    for name in (roles.ADMINISTRATOR, roles.PROGRAMME_OFFICER):
        group = Group.objects.using(using).filter(name=name).first()
        if group:
            group.permissions.add(*perms)
    mentor = Group.objects.using(using).filter(name=roles.MENTOR).first()
    if mentor:
        mentor.permissions.add(*perms.filter(codename__startswith="view_"))


class OrganizationsConfig(AppConfig):
    name = "organizations"
    verbose_name = _("Organizations")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Not limited to this app's signal: its permissions are created by a receiver that
        # runs after ours for our own app, so we also run once later apps have migrated.
        post_migrate.connect(grant_staff_permissions, dispatch_uid="organizations_staff_perms")

        from allauth.mfa.signals import authenticator_added

        from portal.core.cache import watch_models

        from .models import Organization, Region

        watch_models(Organization, Region)

        from .middleware import record_code_on_enrolment

        authenticator_added.connect(
            record_code_on_enrolment, dispatch_uid="organizations_mfa_enrolment_record"
        )
