import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ..enums import (
    EDITABLE_STATUSES,
    ApplicationStatus,
    ApplicationStep,
)
from ..storage import private_storage


class ApplicationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Applications of organizations the user is a member of."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(organization__memberships__user=user)

    def submitted(self):
        return self.exclude(status__in=[ApplicationStatus.DRAFT, ApplicationStatus.WITHDRAWN])


class Application(models.Model):
    """An organization's application to a call.

    The content of each step lives in ``answers`` (validated, JSON-safe values: money in
    fen, dates in ISO form); ``drafts`` keeps what was typed into a step that has not
    validated yet, so nothing typed is ever lost. Money totals are copied into columns so
    staff can sort and filter by them.
    """

    call = models.ForeignKey(
        "projects.CallPage",
        verbose_name=_("Call"),
        on_delete=models.PROTECT,
        related_name="applications",
    )
    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("Organization"),
        on_delete=models.PROTECT,
        related_name="applications",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    title = models.CharField(_("Project title"), max_length=200, blank=True)
    status = models.CharField(
        _("Status"),
        max_length=20,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.DRAFT,
        db_index=True,
    )
    # Copied from the call when the application starts: the database then enforces
    # "one application per organization per call" unless the call allowed several.
    single_per_org = models.BooleanField(_("One per organization"), default=True)
    answers = models.JSONField(_("Answers"), default=dict, blank=True)
    drafts = models.JSONField(_("Unvalidated input"), default=dict, blank=True)
    requested_amount = models.PositiveBigIntegerField(_("Amount requested (fen)"), default=0)
    self_funding_amount = models.PositiveBigIntegerField(_("Self-funding (fen)"), default=0)
    total_amount = models.PositiveBigIntegerField(_("Total budget (fen)"), default=0)
    currency = models.CharField(_("Currency"), max_length=3, default="CNY")
    cited_needs = models.ManyToManyField(
        "projects.CommunityNeed",
        verbose_name=_("Community needs cited"),
        blank=True,
        related_name="applications",
    )
    replicated_from = models.ForeignKey(
        "projects.Project",
        verbose_name=_("Based on brand project"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replications",
    )
    return_message = models.TextField(_("Message from staff"), blank=True)
    return_deadline = models.DateTimeField(
        _("Deadline for more information"), null=True, blank=True
    )
    screening_reason = models.TextField(_("Screening reason"), blank=True)
    submitted_at = models.DateTimeField(_("First submitted at"), null=True, blank=True)
    last_submitted_at = models.DateTimeField(_("Last submitted at"), null=True, blank=True)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("Updated at"), auto_now=True)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("Application")
        verbose_name_plural = _("Applications")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["call", "organization"],
                condition=Q(single_per_org=True) & ~Q(status=ApplicationStatus.WITHDRAWN),
                name="one_active_application_per_org_per_call",
            ),
            models.CheckConstraint(
                condition=Q(
                    total_amount=models.F("requested_amount") + models.F("self_funding_amount")
                ),
                name="application_total_is_requested_plus_self",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ApplicationStatus.values),
                name="application_status_valid",
            ),
        ]

    def __str__(self):
        return self.title or _("Application #%(pk)s") % {"pk": self.pk}

    def get_absolute_url(self):
        return reverse("projects:application_detail", kwargs={"pk": self.pk})

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    def completed_steps(self) -> list[str]:
        """Steps whose content validated and has no unvalidated edits pending."""
        return [
            step
            for step in ApplicationStep.values
            if step in self.answers and step not in self.drafts
        ]

    def missing_steps(self) -> list[str]:
        done = set(self.completed_steps())
        return [step for step in ApplicationStep.values if step not in done]

    @property
    def self_funding_bps(self) -> int:
        if not self.total_amount:
            return 0
        return self.self_funding_amount * 10_000 // self.total_amount


class ApplicationEvent(models.Model):
    """One line of the applicant's status timeline."""

    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name=_("Application"),
    )
    from_status = models.CharField(
        _("From"), max_length=20, choices=ApplicationStatus.choices, blank=True
    )
    to_status = models.CharField(_("To"), max_length=20, choices=ApplicationStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("By"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    message = models.TextField(_("Message"), blank=True)
    deadline = models.DateTimeField(_("Deadline"), null=True, blank=True)
    created_at = models.DateTimeField(_("Date"), auto_now_add=True)

    class Meta:
        verbose_name = _("Application event")
        verbose_name_plural = _("Application events")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.application_id}: {self.from_status} → {self.to_status}"


class ApplicationRevision(models.Model):
    """A frozen copy of the application as it was handed in (one per submission)."""

    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        related_name="revisions",
        verbose_name=_("Application"),
    )
    number = models.PositiveIntegerField(_("Revision"))
    snapshot = models.JSONField(_("Snapshot"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Submitted by"),
    )
    created_at = models.DateTimeField(_("Submitted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Application revision")
        verbose_name_plural = _("Application revisions")
        ordering = ["application", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "number"], name="uniq_application_revision_number"
            ),
        ]

    def __str__(self):
        return f"{self.application_id} r{self.number}"


def _attachment_path(instance, filename):
    return f"applications/{instance.application_id}/{uuid.uuid4().hex}"


class ApplicationAttachment(models.Model):
    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        related_name="attachments",
        verbose_name=_("Application"),
    )
    file = models.FileField(
        _("File"), storage=private_storage, upload_to=_attachment_path, max_length=255
    )
    original_name = models.CharField(_("File name"), max_length=255)
    content_type = models.CharField(_("Content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("Size (bytes)"))
    description = models.CharField(_("Description"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("Uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Application attachment")
        verbose_name_plural = _("Application attachments")
        ordering = ["uploaded_at", "pk"]

    def __str__(self):
        return self.original_name

    def get_absolute_url(self):
        return reverse(
            "projects:application_attachment",
            kwargs={"pk": self.application_id, "attachment_pk": self.pk},
        )


class DraftReminder(models.Model):
    """A reminder sent to an organization about one unfinished draft before its call
    closes, ``days`` (7 or 1) before the close: at most one per draft and threshold."""

    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        related_name="draft_reminders",
        verbose_name=_("Application"),
    )
    days = models.PositiveSmallIntegerField(_("Days before the call closes"))
    sent_at = models.DateTimeField(_("Sent at"))

    class Meta:
        verbose_name = _("Draft reminder")
        verbose_name_plural = _("Draft reminders")
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "days"], name="projects_draft_reminder_once"
            ),
        ]

    def __str__(self):
        return f"{self.application} · {self.days}"
