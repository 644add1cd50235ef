import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.search import index

from portal.core.bilingual import (
    EN_SUMMARY_MAX,
    EN_TITLE_MAX,
    EN_TOO_LONG,
    both_names,
    region_path,
)
from portal.core.search import CJKSearchMixin

from ..enums import NeedStatus
from ..storage import private_storage


class CommunityNeedQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=NeedStatus.PUBLISHED)


class CommunityNeed(CJKSearchMixin, index.Indexed, models.Model):
    """A need raised by a resident (需求由群众提出), public once staff publish it."""

    title = models.CharField(_("Title"), max_length=200)
    title_en = models.CharField(
        _("English title"),
        max_length=EN_TITLE_MAX,
        blank=True,
        error_messages={"max_length": EN_TOO_LONG},
        help_text=_("Optional. Shown on the English site instead of the Chinese title."),
    )
    description = models.TextField(_("Description"))
    description_en = models.TextField(
        _("English description"),
        max_length=EN_SUMMARY_MAX,
        blank=True,
        error_messages={"max_length": EN_TOO_LONG},
        help_text=_("Optional. Shown on the English site instead of the Chinese description."),
    )
    region = models.ForeignKey(
        "organizations.Region",
        verbose_name=_("Sub-district or community"),
        on_delete=models.PROTECT,
        related_name="needs",
    )
    service_item = models.ForeignKey(
        "projects.ServiceItem",
        verbose_name=_("Service item"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="needs",
    )
    people_affected = models.PositiveIntegerField(_("People affected"))
    status = models.CharField(
        _("Status"),
        max_length=20,
        choices=NeedStatus.choices,
        default=NeedStatus.PENDING,
        db_index=True,
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Raised by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="community_needs",
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("Merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_needs",
    )
    decline_reason = models.TextField(_("Reason for declining"), blank=True)
    created_at = models.DateTimeField(_("Raised at"), auto_now_add=True)
    published_at = models.DateTimeField(_("Published at"), null=True, blank=True)

    objects = CommunityNeedQuerySet.as_manager()

    cjk_search_sources = (
        "title",
        "description",
        "title_en",
        "description_en",
        "search_taxonomy",
    )
    search_fields = [
        index.SearchField("title"),
        index.SearchField("cjk_search_text"),
        index.FilterField("status"),
    ]

    class Meta:
        verbose_name = _("Community need")
        verbose_name_plural = _("Community needs")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status=NeedStatus.MERGED) | models.Q(merged_into__isnull=False),
                name="merged_need_has_target",
            ),
            models.CheckConstraint(
                condition=models.Q(people_affected__lte=100_000_000),
                name="need_people_affected_sane",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("projects:need_detail", kwargs={"pk": self.pk})

    def search_taxonomy(self) -> list[str]:
        """Community, sub-district and district; service item and category."""
        item = self.service_item
        names = both_names(*region_path(self.region))
        return names + (both_names(item, item.category) if item else [])

    @classmethod
    def get_indexed_objects(cls):
        """What the index text reads, loaded up front (``update_index``, bulk indexing)."""
        return (
            super()
            .get_indexed_objects()
            .select_related("region__parent__parent", "service_item__category")
        )


def _photo_path(instance, filename):
    return f"needs/{instance.need_id}/{uuid.uuid4().hex}"


class NeedPhoto(models.Model):
    need = models.ForeignKey(
        CommunityNeed,
        on_delete=models.CASCADE,
        related_name="photos",
        verbose_name=_("Community need"),
    )
    image = models.FileField(
        _("Photo"), storage=private_storage, upload_to=_photo_path, max_length=255
    )
    content_type = models.CharField(_("Content type"), max_length=100)
    uploaded_at = models.DateTimeField(_("Uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Photo")
        verbose_name_plural = _("Photos")
        ordering = ["pk"]

    def __str__(self):
        return f"{self.need_id}/{self.pk}"

    def get_absolute_url(self):
        return reverse("projects:need_photo", kwargs={"pk": self.need_id, "photo_pk": self.pk})


class NeedSupport(models.Model):
    """One resident's "I need this too" (one per user and need)."""

    need = models.ForeignKey(
        CommunityNeed,
        on_delete=models.CASCADE,
        related_name="supports",
        verbose_name=_("Community need"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="need_supports",
        verbose_name=_("User"),
    )
    created_at = models.DateTimeField(_("Supported at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Support")
        verbose_name_plural = _("Supports")
        constraints = [
            models.UniqueConstraint(fields=["need", "user"], name="one_support_per_user_per_need"),
        ]

    def __str__(self):
        return f"{self.user_id} → {self.need_id}"
