from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

PROJECT_SECTION = "delivery/includes/project_section.html"
DASHBOARD_SECTION = "delivery/includes/dashboard.html"
DONOR_UPDATES_SECTION = "delivery/includes/donor_updates.html"


class DeliveryConfig(AppConfig):
    name = "projects.delivery"
    label = "delivery"
    verbose_name = _("Funded projects")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_save
        from wagtail import hooks

        from organizations.sections import DASHBOARD_SECTIONS
        from portal.core.cache import watch_models
        from projects.sections import PROJECT_SECTIONS

        from . import signals

        hooks.register(PROJECT_SECTIONS, lambda: PROJECT_SECTION)
        hooks.register(DASHBOARD_SECTIONS, lambda: DASHBOARD_SECTION)
        hooks.register(DASHBOARD_SECTIONS, lambda: DONOR_UPDATES_SECTION)
        watch_models(
            *(self.get_model(n) for n in ("Delivery", "Milestone", "ProgressReport", "ReportPhoto"))
        )
        post_save.connect(
            signals.start_delivery_on_approval,
            sender="projects.Project",
            dispatch_uid="delivery-start-on-approval",
        )
        post_save.connect(
            signals.copy_plan_on_decision,
            sender="review.Decision",
            dispatch_uid="delivery-copy-plan-on-decision",
        )
        from funding.selectors import DISBURSEMENT_FACTS, PENDING_SPENDING

        from .selectors import disbursement_facts, pending_spending_of_project

        hooks.register(PENDING_SPENDING, pending_spending_of_project)
        hooks.register(DISBURSEMENT_FACTS, disbursement_facts)
