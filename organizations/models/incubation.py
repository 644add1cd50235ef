"""Incubation (孵化): cohorts, residencies with stage history, mentors' service logs,
capacity assessments and trainings."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel

from portal.core.bilingual import BilingualName

from ..enums import ResidencyStatus, ServiceKind, StageKind
from ..storage import private_storage
from .core import Organization

# Named by migration 0005 (model bases are frozen into migrations).
_Bilingual = BilingualName


class IncubationStage(BilingualName, models.Model):  # noqa: DJ008 - str() from BilingualName
    """A configurable stage, e.g. 申请 → 入驻 → 培育 → 出壳/毕业, or 退出."""

    name = models.CharField(_("Name"), max_length=50)
    name_en = models.CharField(_("English name"), max_length=50, blank=True)
    code = models.SlugField(_("Code"), max_length=30, unique=True)
    sort_order = models.PositiveIntegerField(_("Sort order"), default=0)
    kind = models.CharField(
        _("Kind"), max_length=20, choices=StageKind.choices, default=StageKind.ONGOING
    )

    class Meta:
        verbose_name = _("Incubation stage")
        verbose_name_plural = _("Incubation stages")
        ordering = ["sort_order", "pk"]


class AssessmentDimension(BilingualName, models.Model):  # noqa: DJ008 - str() from BilingualName
    """A capacity-assessment dimension (治理, 财务管理, …), scored 1–5."""

    name = models.CharField(_("Name"), max_length=50)
    name_en = models.CharField(_("English name"), max_length=50, blank=True)
    code = models.SlugField(_("Code"), max_length=30, unique=True)
    description = models.TextField(_("Description"), blank=True)
    sort_order = models.PositiveIntegerField(_("Sort order"), default=0)
    is_active = models.BooleanField(_("Active"), default=True)

    class Meta:
        verbose_name = _("Assessment dimension")
        verbose_name_plural = _("Assessment dimensions")
        ordering = ["sort_order", "pk"]


class CohortQuerySet(models.QuerySet):
    def open_for_applications(self, today):
        return self.filter(applications_open_until__gte=today)


class Cohort(models.Model):
    """One intake of the incubation programme, managed by staff in the admin."""

    programme = models.CharField(_("Programme"), max_length=100)
    name = models.CharField(_("Cohort name"), max_length=100)
    slug = models.SlugField(_("Slug"), max_length=100, unique=True)
    description = models.TextField(_("Description"), blank=True)
    venue = models.CharField(_("Venue"), max_length=200, blank=True)
    support_offered = models.TextField(_("Support offered"), blank=True)
    capacity = models.PositiveIntegerField(_("Capacity"))
    starts_on = models.DateField(_("Starts on"))
    ends_on = models.DateField(_("Ends on"))
    applications_open_until = models.DateField(_("Applications open until"))
    graduation_min_score = models.PositiveSmallIntegerField(
        _("Minimum score in every dimension to graduate"), default=3
    )

    objects = CohortQuerySet.as_manager()

    class Meta:
        verbose_name = _("Incubation cohort")
        verbose_name_plural = _("Incubation cohorts")
        ordering = ["-starts_on", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="cohort_dates_ordered"
            ),
            models.CheckConstraint(condition=models.Q(capacity__gte=1), name="cohort_capacity"),
            models.CheckConstraint(
                condition=models.Q(graduation_min_score__gte=1, graduation_min_score__lte=5),
                name="cohort_graduation_score_range",
            ),
        ]

    def __str__(self):
        return f"{self.programme} · {self.name}"

    def get_absolute_url(self):
        return reverse("organizations:cohort", kwargs={"slug": self.slug})


def _agreement_path(instance, filename):
    return f"incubation/{instance.cohort_id}/agreements/{filename}"


class Residency(models.Model):
    """An organization's application to a cohort and, once admitted, its residency."""

    cohort = models.ForeignKey(
        Cohort, verbose_name=_("Cohort"), on_delete=models.PROTECT, related_name="residencies"
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("Organization"),
        on_delete=models.CASCADE,
        related_name="residencies",
    )
    status = models.CharField(
        _("Status"),
        max_length=20,
        choices=ResidencyStatus.choices,
        default=ResidencyStatus.APPLIED,
        db_index=True,
    )
    motivation = models.TextField(_("Why do you want to join?"))
    needs = models.TextField(_("What support do you need?"), blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Applied by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    applied_at = models.DateTimeField(_("Applied at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("Decided at"), null=True, blank=True)
    decision_note = models.TextField(_("Decision note"), blank=True)
    stage = models.ForeignKey(
        IncubationStage,
        verbose_name=_("Current stage"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Mentor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mentored_residencies",
    )
    agreement = models.FileField(
        _("Residency agreement"),
        upload_to=_agreement_path,
        storage=private_storage,
        blank=True,
        max_length=255,
    )
    agreement_name = models.CharField(_("Agreement file name"), max_length=255, blank=True)
    agreement_content_type = models.CharField(
        _("Agreement content type"), max_length=100, blank=True
    )
    agreement_uploaded_at = models.DateTimeField(_("Agreement uploaded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Incubation residency")
        verbose_name_plural = _("Incubation residencies")
        ordering = ["-applied_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["cohort", "organization"], name="uniq_residency_per_cohort"
            ),
        ]

    def __str__(self):
        return f"{self.organization} @ {self.cohort}"

    def get_absolute_url(self):
        return reverse("organizations:residency", kwargs={"pk": self.pk})


class StageChange(models.Model):
    """Dated stage history of a residency; append-only."""

    residency = models.ForeignKey(
        Residency,
        verbose_name=_("Residency"),
        on_delete=models.CASCADE,
        related_name="stage_changes",
    )
    stage = models.ForeignKey(
        IncubationStage, verbose_name=_("Stage"), on_delete=models.PROTECT, related_name="+"
    )
    changed_on = models.DateField(_("Date"))
    note = models.TextField(_("Note"), blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("By"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("Recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Stage change")
        verbose_name_plural = _("Stage changes")
        ordering = ["changed_on", "pk"]

    def __str__(self):
        return f"{self.residency}: {self.stage} ({self.changed_on})"


class ServiceLog(models.Model):
    """A service a mentor or staff gave a resident organization, with hours."""

    residency = models.ForeignKey(
        Residency,
        verbose_name=_("Residency"),
        on_delete=models.CASCADE,
        related_name="service_logs",
    )
    kind = models.CharField(_("Service"), max_length=20, choices=ServiceKind.choices)
    provided_on = models.DateField(_("Date"))
    hours = models.DecimalField(_("Hours"), max_digits=5, decimal_places=1)
    grant_amount = models.PositiveBigIntegerField(
        _("Small grant amount (fen)"), null=True, blank=True
    )
    description = models.TextField(_("Description"), blank=True)
    provided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Provided by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("Recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Service log")
        verbose_name_plural = _("Service logs")
        ordering = ["-provided_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hours__gt=0, hours__lte=24), name="service_hours_range"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.provided_on} ({self.hours} h)"


class CapacityAssessment(ClusterableModel):
    """One capacity assessment of a resident organization (repeated over time)."""

    residency = models.ForeignKey(
        Residency, verbose_name=_("Residency"), on_delete=models.CASCADE, related_name="assessments"
    )
    assessed_on = models.DateField(_("Assessed on"))
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Assessor"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    summary = models.TextField(pgettext_lazy("incubation", "Summary"), blank=True)

    class Meta:
        verbose_name = _("Capacity assessment")
        verbose_name_plural = _("Capacity assessments")
        ordering = ["assessed_on", "pk"]

    def __str__(self):
        return f"{self.residency.organization} {self.assessed_on}"


class AssessmentScore(models.Model):
    assessment = ParentalKey(
        CapacityAssessment,
        verbose_name=_("Assessment"),
        on_delete=models.CASCADE,
        related_name="scores",
    )
    dimension = models.ForeignKey(
        AssessmentDimension, verbose_name=_("Dimension"), on_delete=models.PROTECT, related_name="+"
    )
    score = models.PositiveSmallIntegerField(_("Score (1–5)"))
    evidence = models.TextField(_("Evidence"))

    class Meta:
        verbose_name = _("Assessment score")
        verbose_name_plural = _("Assessment scores")
        ordering = ["dimension__sort_order", "dimension_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "dimension"], name="uniq_score_per_dimension"
            ),
            models.CheckConstraint(
                condition=models.Q(score__gte=1, score__lte=5), name="assessment_score_range"
            ),
        ]

    def __str__(self):
        return f"{self.dimension}: {self.score}"


class TrainingSession(ClusterableModel):
    """A training for resident organizations' core staff (骨干培养), with attendance."""

    cohort = models.ForeignKey(
        Cohort, verbose_name=_("Cohort"), on_delete=models.CASCADE, related_name="trainings"
    )
    title = models.CharField(_("Title"), max_length=200)
    held_on = models.DateField(_("Date"))
    hours = models.DecimalField(_("Hours"), max_digits=4, decimal_places=1, default=2)
    venue = models.CharField(_("Venue"), max_length=200, blank=True)
    trainer = models.CharField(_("Trainer"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("Training session")
        verbose_name_plural = _("Training sessions")
        ordering = ["held_on", "pk"]

    def __str__(self):
        return f"{self.title} ({self.held_on})"


class TrainingAttendance(models.Model):
    session = ParentalKey(
        TrainingSession,
        verbose_name=_("Training"),
        on_delete=models.CASCADE,
        related_name="attendances",
    )
    residency = models.ForeignKey(
        Residency, verbose_name=_("Residency"), on_delete=models.CASCADE, related_name="attendances"
    )
    attendee_name = models.CharField(_("Attendee"), max_length=50)
    attended = models.BooleanField(_("Attended"), default=True)

    class Meta:
        verbose_name = _("Attendance")
        verbose_name_plural = _("Attendance")
        ordering = ["session__held_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "residency", "attendee_name"], name="uniq_attendance"
            ),
        ]

    def __str__(self):
        return f"{self.attendee_name} @ {self.session}"

    def clean(self):
        from django.core.exceptions import ValidationError

        if (
            self.session_id
            and self.residency_id
            and self.residency.cohort_id != self.session.cohort_id
        ):
            raise ValidationError(
                {"residency": _("This organization is not in the training's cohort.")}
            )
