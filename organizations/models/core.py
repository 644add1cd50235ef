from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.search import index

from portal.core.bilingual import (
    EN_SUMMARY_MAX,
    EN_TITLE_MAX,
    EN_TOO_LONG,
    BilingualName,
    both_names,
    region_path,
)
from portal.core.search import CJKSearchMixin

from ..enums import (
    DocumentKind,
    MemberRole,
    OrganizationType,
    Rating,
    RegionLevel,
    RegistrationKind,
    VerificationAction,
    VerificationStatus,
)
from ..storage import private_storage
from ..validators import validate_credit_code, validate_mobile


class Region(BilingualName, models.Model):  # noqa: DJ008 - str() from BilingualName
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


class OrganizationQuerySet(models.QuerySet):
    def verified(self):
        return self.filter(status=VerificationStatus.VERIFIED)

    def for_user(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(memberships__user=user)


class Organization(CJKSearchMixin, index.Indexed, models.Model):
    name = models.CharField(_("Organization name"), max_length=200)
    name_en = models.CharField(
        _("English name"),
        max_length=EN_TITLE_MAX,
        blank=True,
        error_messages={"max_length": EN_TOO_LONG},
        help_text=_("Optional. Shown on the English site instead of the Chinese name."),
    )
    short_name = models.CharField(
        _("Short name"),
        max_length=50,
        blank=True,
        help_text=_("The name people use in everyday speech, e.g. 夕阳红; found by search."),
    )
    slug = models.SlugField(_("Slug"), max_length=100, unique=True, allow_unicode=True)
    org_type = models.CharField(
        _("Organization type"), max_length=30, choices=OrganizationType.choices
    )
    credit_code = models.CharField(
        _("Unified social credit code"),
        max_length=18,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_credit_code],
        error_messages={
            "unique": _(
                "An organization with this unified social credit code is already "
                "registered on the portal."
            ),
        },
    )
    registration_kind = models.CharField(
        _("Registration"),
        max_length=20,
        choices=RegistrationKind.choices,
        default=RegistrationKind.REGISTERED,
    )
    filing_number = models.CharField(
        _("Filing number"),
        max_length=50,
        blank=True,
        help_text=_(
            "For community teams filed with the sub-district (备案) instead of registered."
        ),
    )
    registration_authority = models.CharField(
        _("Registration authority"), max_length=100, blank=True
    )
    established_on = models.DateField(_("Date established"), null=True, blank=True)
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
    community = models.ForeignKey(
        Region,
        verbose_name=_("Community"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="community_organizations",
        limit_choices_to={"level": RegionLevel.COMMUNITY},
    )
    address = models.CharField(_("Address"), max_length=200, blank=True)
    contact_name = models.CharField(_("Contact person"), max_length=50, blank=True)
    contact_mobile = models.CharField(
        _("Contact mobile"), max_length=20, blank=True, validators=[validate_mobile]
    )
    contact_email = models.EmailField(_("Contact email"), blank=True)
    mission = models.TextField(_("Mission"), blank=True)
    mission_en = models.TextField(
        _("English mission"),
        max_length=EN_SUMMARY_MAX,
        blank=True,
        error_messages={"max_length": EN_TOO_LONG},
        help_text=_("Optional. Shown on the English site instead of the Chinese mission."),
    )
    service_areas = models.ManyToManyField(
        "projects.ServiceCategory",
        verbose_name=_("Service areas"),
        blank=True,
        related_name="organizations",
    )
    staff_count = models.PositiveIntegerField(_("Full-time staff"), default=0)
    volunteer_count = models.PositiveIntegerField(_("Registered volunteers"), default=0)
    last_year_income = models.PositiveBigIntegerField(
        _("Last year's income (fen)"), null=True, blank=True
    )
    currency = models.CharField(_("Currency"), max_length=3, default="CNY")
    rating = models.CharField(
        _("Evaluation rating"), max_length=2, choices=Rating.choices, blank=True
    )
    rating_expires_on = models.DateField(_("Rating valid until"), null=True, blank=True)
    logo = models.ImageField(_("Logo"), upload_to="organizations/logos/", blank=True)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("Updated at"), auto_now=True)
    verified_at = models.DateTimeField(_("Verified at"), null=True, blank=True)

    objects = OrganizationQuerySet.as_manager()

    cjk_search_sources = (
        "name",
        "short_name",
        "mission",
        "name_en",
        "mission_en",
        "search_taxonomy",
    )
    search_fields = [
        index.SearchField("name"),
        index.SearchField("cjk_search_text"),
        index.FilterField("status"),
    ]

    class Meta:
        verbose_name = _("Organizations")
        verbose_name_plural = _("Organizations")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(registration_kind=RegistrationKind.REGISTERED)
                | models.Q(credit_code__isnull=False),
                name="org_registered_has_credit_code",
            ),
            models.CheckConstraint(
                condition=models.Q(rating="") | models.Q(rating_expires_on__isnull=False),
                name="org_rating_has_expiry",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("organizations:detail", kwargs={"slug": self.slug})

    def search_taxonomy(self) -> list[str]:
        """Community, sub-district and district; service areas (Chinese and English)."""
        return both_names(*region_path(self.community or self.region), *self.service_areas.all())

    @property
    def is_verified(self) -> bool:
        return self.status == VerificationStatus.VERIFIED

    @property
    def district(self):
        """The district of the organization's sub-district (``region``), if any."""
        if self.region_id and self.region.level == RegionLevel.SUBDISTRICT:
            return self.region.parent
        return self.region

    def current_rating(self, today=None) -> str:
        """The rating if it has not expired, else an empty string."""
        from django.utils import timezone

        today = today or timezone.localdate()
        if self.rating and self.rating_expires_on and self.rating_expires_on >= today:
            return self.rating
        return ""

    @property
    def is_editable_by_members(self) -> bool:
        """Members may not change the profile while staff are reviewing it."""
        return self.status != VerificationStatus.SUBMITTED


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


class VerificationEvent(models.Model):
    """One step of the verification history; rows are never edited or deleted."""

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("Organization"),
        on_delete=models.CASCADE,
        related_name="verification_events",
    )
    action = models.CharField(_("Action"), max_length=20, choices=VerificationAction.choices)
    reason = models.TextField(_("Reason"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("By"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("Date"), auto_now_add=True)

    class Meta:
        verbose_name = _("Verification event")
        verbose_name_plural = _("Verification events")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(action=VerificationAction.RETURNED) | ~models.Q(reason=""),
                name="verification_return_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.organization}: {self.get_action_display()}"


def _document_path(instance, filename):
    return f"organizations/{instance.organization_id}/documents/{filename}"


class OrganizationDocument(models.Model):
    """A private document (certificate, articles, annual report), checked by content."""

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("Organization"),
        on_delete=models.CASCADE,
        related_name="documents",
    )
    kind = models.CharField(_("Document type"), max_length=30, choices=DocumentKind.choices)
    file = models.FileField(
        _("File"), upload_to=_document_path, storage=private_storage, max_length=255
    )
    original_name = models.CharField(_("File name"), max_length=255)
    content_type = models.CharField(_("Content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("Size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Uploaded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("Uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Organization document")
        verbose_name_plural = _("Organization documents")
        ordering = ["kind", "-uploaded_at"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.original_name}"

    def get_absolute_url(self):
        return reverse(
            "organizations:document",
            kwargs={"slug": self.organization.slug, "pk": self.pk},
        )


class InvitationQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True)


class Invitation(models.Model):
    """An owner's invitation, sent by email, for someone to join with a role."""

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("Organization"),
        on_delete=models.CASCADE,
        related_name="invitations",
    )
    email = models.EmailField(_("Email"))
    role = models.CharField(_("Role"), max_length=20, choices=MemberRole.choices)
    token = models.CharField(_("Token"), max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Invited by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("Invited at"), auto_now_add=True)
    accepted_at = models.DateTimeField(_("Accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Accepted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("Revoked at"), null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("Invitation")
        verbose_name_plural = _("Invitations")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "email"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="uniq_pending_invitation",
            ),
        ]

    def __str__(self):
        return f"{self.email} → {self.organization}"

    def get_absolute_url(self):
        return reverse("organizations:invitation", kwargs={"token": self.token})

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None
