from django.db import models
from django.utils.translation import gettext_lazy as _


class ProjectStatus(models.TextChoices):
    APPLYING = "applying", _("申报中")
    APPROVED = "approved", _("已立项")
    IN_PROGRESS = "in_progress", _("实施中")
    COMPLETED = "completed", _("已结项")
    TERMINATED = "terminated", _("已终止")


class ProjectTier(models.TextChoices):
    FUNDED_MATCHED = "funded_matched", _("资助+配捐")
    RESERVE = "reserve", _("项目库")
    NOT_FUNDED = "not_funded", _("未资助")
