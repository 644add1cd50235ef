from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

PROJECT_SECTION = "delivery/includes/project_section.html"
DASHBOARD_SECTION = "delivery/includes/dashboard.html"


class DeliveryConfig(AppConfig):
    name = "projects.delivery"
    label = "delivery"
    verbose_name = _("Funded projects")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from organizations.sections import dashboard_sections
        from portal.core.cache import invalidate_public_pages
        from projects.sections import project_sections

        from . import signals

        if PROJECT_SECTION not in project_sections:
            project_sections.append(PROJECT_SECTION)
        if DASHBOARD_SECTION not in dashboard_sections:
            dashboard_sections.append(DASHBOARD_SECTION)
        for name in ("Delivery", "Milestone", "ProgressReport", "ReportPhoto"):
            model = self.get_model(name)
            post_save.connect(
                invalidate_public_pages,
                sender=model,
                dispatch_uid=f"public-pages-save-delivery.{name}",
            )
            post_delete.connect(
                invalidate_public_pages,
                sender=model,
                dispatch_uid=f"public-pages-delete-delivery.{name}",
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
        from funding.selectors import disbursement_context_providers, pending_spending_providers

        from .selectors import disbursement_facts, pending_spending_of_project

        if pending_spending_of_project not in pending_spending_providers:
            pending_spending_providers.append(pending_spending_of_project)
        if disbursement_facts not in disbursement_context_providers:
            disbursement_context_providers.append(disbursement_facts)
