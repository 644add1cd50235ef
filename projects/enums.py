from django.db import models
from django.utils.translation import gettext_lazy as _


class ProjectStatus(models.TextChoices):
    APPLYING = "applying", _("Applying")
    APPROVED = "approved", _("Approved")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    TERMINATED = "terminated", _("Terminated")


class ProjectTier(models.TextChoices):
    FUNDED_MATCHED = "funded_matched", _("Funded and matched")
    RESERVE = "reserve", _("Reserve library")
    NOT_FUNDED = "not_funded", _("Not funded")
