from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganizationType(models.TextChoices):
    SOCIAL_GROUP = "social_group", _("社会团体")
    SOCIAL_SERVICE = "social_service", _("社会服务机构(民办非企业单位)")
    FOUNDATION = "foundation", _("基金会")
    COMMUNITY = "community", _("社区社会组织")
    UNREGISTERED = "unregistered", _("未登记团队")


class VerificationStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审核")
    VERIFIED = "verified", _("已认证")
    RETURNED = "returned", _("已退回")


class MemberRole(models.TextChoices):
    OWNER = "owner", _("负责人")
    EDITOR = "editor", _("编辑")
    VIEWER = "viewer", _("查看")


class RegionLevel(models.TextChoices):
    CITY = "city", _("市")
    DISTRICT = "district", _("区")
    SUBDISTRICT = "subdistrict", _("街道")
    COMMUNITY = "community", _("社区")
