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
        from wagtail import hooks

        from organizations.sections import PROFILE_SECTIONS
        from portal.core.cache import watch_models
        from projects.delivery.signals import advance_on_evaluation
        from projects.sections import PROJECT_SECTIONS

        from . import guards
        from .models import Evaluation, ResidentFeedback
        from .signals import evaluation_finalised

        hooks.register(PROJECT_SECTIONS, lambda: PROJECT_SECTION)
        hooks.register(PROJECT_SECTIONS, lambda: BRAND_SECTION)
        hooks.register(PROFILE_SECTIONS, lambda: PROFILE_SECTION)
        watch_models(Evaluation, ResidentFeedback)
        guards.register()
        # A finalised evaluation moves its delivery on (delivery sits below evaluation, so
        # the link is made here, not in delivery).
        evaluation_finalised.connect(
            advance_on_evaluation, dispatch_uid="delivery-advance-on-evaluation"
        )
