from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

PROJECT_SECTION = "evaluation/includes/project_section.html"
PROFILE_SECTION = "evaluation/includes/organization_grades.html"
BRAND_SECTION = "evaluation/includes/brand_section.html"


class EvaluationConfig(AppConfig):
    name = "projects.evaluation"
    label = "evaluation"
    verbose_name = _("Evaluation and residents' feedback")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from organizations.sections import profile_sections
        from portal.core.cache import invalidate_public_pages
        from projects.sections import project_sections

        from . import guards
        from .models import Evaluation, ResidentFeedback

        if PROJECT_SECTION not in project_sections:
            project_sections.append(PROJECT_SECTION)
        if BRAND_SECTION not in project_sections:
            project_sections.append(BRAND_SECTION)
        if PROFILE_SECTION not in profile_sections:
            profile_sections.append(PROFILE_SECTION)
        for model in (Evaluation, ResidentFeedback):
            label = model._meta.label
            post_save.connect(
                invalidate_public_pages, sender=model, dispatch_uid=f"public-pages-save-{label}"
            )
            post_delete.connect(
                invalidate_public_pages, sender=model, dispatch_uid=f"public-pages-delete-{label}"
            )
        guards.register()
