from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .enums import MemberRole, OrganizationType, RegionLevel, VerificationStatus


class Region(models.Model):
    """An administrative area: city → district → sub-district (街道) → community (社区)."""

    name = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=100, blank=True)
    code = models.CharField(_("区划代码"), max_length=20, unique=True)
    level = models.CharField(_("级别"), max_length=20, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta:
        verbose_name = _("行政区域")
        verbose_name_plural = _("行政区域")
        ordering = ["code"]

    def __str__(self):
        return self.name

    def display_name(self, language: str = "zh-hans") -> str:
        if language.startswith("en") and self.name_en:
            return self.name_en
        return self.name


class OrganizationQuerySet(models.QuerySet):
    def verified(self):
        return self.filter(status=VerificationStatus.VERIFIED)

    def for_user(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(memberships__user=user)


class Organization(models.Model):
    name = models.CharField(_("组织名称"), max_length=200)
    slug = models.SlugField(_("网址标识"), max_length=100, unique=True, allow_unicode=True)
    org_type = models.CharField(_("组织类型"), max_length=30, choices=OrganizationType.choices)
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, null=True, blank=True
    )
    status = models.CharField(
        _("认证状态"),
        max_length=20,
        choices=VerificationStatus.choices,
        default=VerificationStatus.DRAFT,
        db_index=True,
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("所在区域"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="organizations",
    )
    mission = models.TextField(_("宗旨与使命"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    verified_at = models.DateTimeField(_("认证时间"), null=True, blank=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        verbose_name = _("社会组织")
        verbose_name_plural = _("社会组织")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("organizations:detail", kwargs={"slug": self.slug})

    @property
    def is_verified(self) -> bool:
        return self.status == VerificationStatus.VERIFIED


class Membership(models.Model):
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("组织"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    role = models.CharField(_("角色"), max_length=20, choices=MemberRole.choices)
    created_at = models.DateTimeField(_("加入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("成员")
        verbose_name_plural = _("成员")
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="uniq_membership"),
        ]

    def __str__(self):
        return f"{self.user} @ {self.organization} ({self.get_role_display()})"

    @property
    def can_edit(self) -> bool:
        return self.role in (MemberRole.OWNER, MemberRole.EDITOR)
