from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewConfig(AppConfig):
    name = "projects.review"
    label = "review"
    verbose_name = _("Review and ranking")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from portal.core.cache import watch_models

        from .models import Decision, RankingEntry

        watch_models(RankingEntry, Decision)
