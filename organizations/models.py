from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .enums import MemberRole, OrganizationType, RegionLevel, VerificationStatus


class Region(models.Model):
    """An administrative area: city → district → sub-district (街道) → community (社区)."""

    name = models.CharField(_("Name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    code = models.CharField(_("Administrative code"), max_length=20, unique=True)
    level = models.CharField(_("Level"), max_length=20, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("Parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta:
        verbose_name = _("Administrative region")
        verbose_name_plural = _("Administrative region")
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
    name = models.CharField(_("Organization name"), max_length=200)
    slug = models.SlugField(_("Slug"), max_length=100, unique=True, allow_unicode=True)
    org_type = models.CharField(
        _("Organization type"), max_length=30, choices=OrganizationType.choices
    )
    credit_code = models.CharField(
        _("Unified social credit code"), max_length=18, unique=True, null=True, blank=True
    )
    status = models.CharField(
        _("Verification status"),
        max_length=20,
        choices=VerificationStatus.choices,
        default=VerificationStatus.DRAFT,
        db_index=True,
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("Region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="organizations",
    )
    mission = models.TextField(_("Mission"), blank=True)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("Updated at"), auto_now=True)
    verified_at = models.DateTimeField(_("Verified at"), null=True, blank=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        verbose_name = _("Organizations")
        verbose_name_plural = _("Organizations")
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
        verbose_name=_("Organization"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("User"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    role = models.CharField(_("Role"), max_length=20, choices=MemberRole.choices)
    created_at = models.DateTimeField(_("Joined at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Member")
        verbose_name_plural = _("Member")
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="uniq_membership"),
        ]

    def __str__(self):
        return f"{self.user} @ {self.organization} ({self.get_role_display()})"

    @property
    def can_edit(self) -> bool:
        return self.role in (MemberRole.OWNER, MemberRole.EDITOR)
