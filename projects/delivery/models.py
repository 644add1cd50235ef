"""Funded-project delivery: stage and history, milestones, progress reports, photos,
indicator actuals, variance explanations."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from projects.storage import private_storage

from .enums import DeliveryStage, MilestoneStatus, ReportKind, ReportStatus


def _agreement_path(instance, filename):
    extension = filename.rsplit(".", 1)[-1].lower()
    return f"delivery/agreements/{instance.project_id}/{uuid.uuid4().hex}.{extension}"


def _photo_path(instance, filename):
    return f"delivery/photos/{uuid.uuid4().hex}.jpg"


class DeliveryQuerySet(models.QuerySet):
    def for_member(self, user):
        """Deliveries of organizations ``user`` is a member of."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(project__organization__memberships__user=user)


class Delivery(models.Model):
    """One per funded project. ``budget_lines`` and ``indicators`` are copied from the
    approved application when the delivery starts (``[{"line", "category", "source",
    "amount"}]`` in fen; ``[{"kind", "name", "target"}]``) so later edits elsewhere do not
    move the goalposts."""

    project = models.OneToOneField(
        "projects.Project",
        on_delete=models.CASCADE,
        related_name="delivery",
        verbose_name=_("Project"),
    )
    stage = models.CharField(
        _("Stage"),
        max_length=20,
        choices=DeliveryStage.choices,
        default=DeliveryStage.AGREEMENT_PENDING,
        db_index=True,
    )
    agreement = models.FileField(
        _("Signed agreement"),
        upload_to=_agreement_path,
        storage=private_storage,
        blank=True,
        max_length=255,
    )
    agreement_name = models.CharField(_("Agreement file name"), max_length=255, blank=True)
    agreement_content_type = models.CharField(max_length=100, blank=True)
    agreement_signed_on = models.DateField(_("Agreement signed on"), null=True, blank=True)
    termination_reason = models.TextField(_("Reason for termination"), blank=True)
    final_evaluation_at = models.DateTimeField(
        _("Final evaluation finalised at"), null=True, blank=True
    )
    final_evaluation_summary = models.CharField(_("Final evaluation"), max_length=200, blank=True)
    budget_lines = models.JSONField(_("Budget lines"), default=list, blank=True)
    granted_amount = models.PositiveBigIntegerField(
        _("Granted amount (fen)"),
        default=0,
        help_text=_("What the payment schedule's tranches add up to."),
    )
    indicators = models.JSONField(_("Indicators"), default=list, blank=True)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("Updated at"), auto_now=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("Funded project")
        verbose_name_plural = _("Funded projects")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(stage__in=DeliveryStage.values), name="delivery_stage_valid"
            ),
            models.CheckConstraint(
                condition=~Q(stage=DeliveryStage.TERMINATED) | ~Q(termination_reason=""),
                name="delivery_terminated_has_reason",
            ),
        ]

    def __str__(self):
        return str(self.project)

    def get_absolute_url(self):
        return reverse("delivery:detail", kwargs={"pk": self.pk})

    @property
    def budget_total(self) -> int:
        return sum(int(line["amount"]) for line in self.budget_lines)


class DeliveryEvent(models.Model):
    """Append-only, dated stage history (written only by ``services``)."""

    delivery = models.ForeignKey(
        Delivery, on_delete=models.CASCADE, related_name="events", verbose_name=_("Funded project")
    )
    from_stage = models.CharField(
        pgettext_lazy("delivery", "From"), max_length=20, blank=True, choices=DeliveryStage.choices
    )
    to_stage = models.CharField(
        pgettext_lazy("delivery", "To"), max_length=20, choices=DeliveryStage.choices
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("By"),
    )
    note = models.TextField(_("Note"), blank=True)
    created_at = models.DateTimeField(pgettext_lazy("delivery", "Date"), auto_now_add=True)

    class Meta:
        verbose_name = _("Stage change")
        verbose_name_plural = _("Stage history")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.delivery}: {self.from_stage} → {self.to_stage}"


class Milestone(models.Model):
    delivery = models.ForeignKey(
        Delivery,
        on_delete=models.CASCADE,
        related_name="milestones",
        verbose_name=_("Funded project"),
    )
    title = models.CharField(_("Title"), max_length=200)
    due_on = models.DateField(_("Due date"))
    deliverables = models.TextField(_("Deliverables"))
    status = models.CharField(
        _("Status"),
        max_length=20,
        choices=MilestoneStatus.choices,
        default=MilestoneStatus.PROPOSED,
    )
    completed_on = models.DateField(_("Completed on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Created by"),
    )
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = pgettext_lazy("delivery", "Milestone")
        verbose_name_plural = _("Milestones")
        ordering = ["due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=MilestoneStatus.values),
                name="delivery_milestone_status_valid",
            ),
        ]

    def __str__(self):
        return self.title


class ProgressReport(models.Model):
    delivery = models.ForeignKey(
        Delivery, on_delete=models.CASCADE, related_name="reports", verbose_name=_("Funded project")
    )
    kind = models.CharField(
        _("Kind"), max_length=10, choices=ReportKind.choices, default=ReportKind.INTERIM
    )
    milestone = models.ForeignKey(
        Milestone,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
        verbose_name=_("Milestone reached"),
    )
    period_end = models.DateField(_("Reporting period ends"))
    narrative = models.TextField(_("What was done"))
    beneficiaries_reached = models.PositiveIntegerField(_("Beneficiaries reached"))
    status = models.CharField(
        _("Status"),
        max_length=20,
        choices=ReportStatus.choices,
        default=ReportStatus.SUBMITTED,
        db_index=True,
    )
    return_message = models.TextField(_("Message from staff"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("Submitted by"),
    )
    submitted_at = models.DateTimeField(_("Submitted at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Decided by"),
    )
    decided_at = models.DateTimeField(_("Decided at"), null=True, blank=True)
    expenditures = models.ManyToManyField(
        "funding.Expenditure",
        blank=True,
        related_name="progress_reports",
        verbose_name=_("Expenditures"),
    )

    class Meta:
        verbose_name = _("Progress report")
        verbose_name_plural = _("Progress reports")
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ReportStatus.values), name="delivery_report_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(beneficiaries_reached__lte=10_000_000),
                name="delivery_report_beneficiaries_plausible",
            ),
        ]

    def __str__(self):
        return _("%(kind)s of %(date)s") % {
            "kind": self.get_kind_display(),
            "date": self.period_end.isoformat(),
        }


class IndicatorActual(models.Model):
    report = models.ForeignKey(
        ProgressReport,
        on_delete=models.CASCADE,
        related_name="indicator_actuals",
        verbose_name=_("Report"),
    )
    name = models.CharField(_("Indicator"), max_length=200)
    target = models.CharField(_("Target"), max_length=100, blank=True)
    actual = models.DecimalField(_("Actual"), max_digits=14, decimal_places=2)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("Indicator actual")
        verbose_name_plural = _("Indicator actuals")
        ordering = ["sort_order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(actual__gte=0), name="delivery_indicator_actual_not_negative"
            ),
        ]

    def __str__(self):
        return self.name


class ReportPhoto(models.Model):
    """A photo re-encoded as JPEG without metadata; public once its report is accepted."""

    report = models.ForeignKey(
        ProgressReport, on_delete=models.CASCADE, related_name="photos", verbose_name=_("Report")
    )
    image = models.FileField(
        _("Photo"), upload_to=_photo_path, storage=private_storage, max_length=255
    )
    caption = models.CharField(_("Caption"), max_length=200, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("Photo")
        verbose_name_plural = _("Photos")
        ordering = ["pk"]

    def __str__(self):
        return self.caption or self.image.name


class VarianceExplanation(models.Model):
    """Why a budget line's actual spending departs from the budget."""

    delivery = models.ForeignKey(
        Delivery,
        on_delete=models.CASCADE,
        related_name="variance_explanations",
        verbose_name=_("Funded project"),
    )
    budget_line = models.CharField(_("Budget line"), max_length=200)
    explanation = models.TextField(_("Explanation"))
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("Written by"),
    )
    updated_at = models.DateTimeField(_("Updated at"), auto_now=True)

    class Meta:
        verbose_name = _("Variance explanation")
        verbose_name_plural = _("Variance explanations")
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "budget_line"], name="delivery_one_explanation_per_line"
            ),
        ]

    def __str__(self):
        return self.budget_line


class ReminderLog(models.Model):
    """One row per reminder sent: makes ``send_delivery_reminders`` idempotent per day.
    ``kind`` is ``"report"`` or ``"milestone:<id>"``."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=40)
    sent_on = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "kind", "sent_on"],
                name="delivery_one_reminder_per_kind_per_day",
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.sent_on}"


class Closure(models.Model):
    """How a project was closed (结项): the checklist as it stood, the items a programme
    officer closed without (each with the written reason) and a note. Written once, by
    ``closing.close_project``, in the transaction that moves the delivery to *closed*."""

    delivery = models.OneToOneField(
        Delivery, on_delete=models.CASCADE, related_name="closure", verbose_name=_("Funded project")
    )
    checklist = models.JSONField(_("Checklist"), default=list)
    overrides = models.JSONField(_("Items closed without, with reasons"), default=list)
    note = models.TextField(_("Note"), blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("Closed by"),
    )
    closed_at = models.DateTimeField(_("Closed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Closure")
        verbose_name_plural = _("Closures")

    def __str__(self):
        return str(self.delivery)


class BudgetRevision(models.Model):
    """One change of a delivery's budget lines by staff: the lines before and after,
    who and why (the change history; the audit log has it too)."""

    delivery = models.ForeignKey(
        Delivery,
        on_delete=models.CASCADE,
        related_name="budget_revisions",
        verbose_name=_("Funded project"),
    )
    before = models.JSONField(_("Before"), default=list)
    after = models.JSONField(_("After"), default=list)
    reason = models.TextField(_("Reason"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("Changed by"),
    )
    changed_at = models.DateTimeField(_("Changed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Budget revision")
        verbose_name_plural = _("Budget revisions")
        ordering = ["-changed_at", "-pk"]

    def __str__(self):
        return f"{self.delivery}: {self.changed_at:%Y-%m-%d}"


class PaymentTranche(models.Model):
    """One tranche of a delivery's payment schedule (拨付计划, e.g. 40/40/20).

    Set by programme staff (``projects.delivery.schedule.set_payment_schedule``): the
    tranches add up to ``Delivery.granted_amount`` (checked under the delivery's lock),
    each is tied to an agreed ``milestone``; one with ``needs_report`` is due once a
    progress report naming that milestone is accepted. Finance records it from the
    schedule: the ``disbursement`` it became and the ``release_report`` that released
    it are then stored here (a tranche rejected or cancelled may be recorded again)."""

    delivery = models.ForeignKey(
        Delivery,
        on_delete=models.CASCADE,
        related_name="schedule",
        verbose_name=_("Funded project"),
    )
    position = models.PositiveSmallIntegerField(_("Tranche"))
    amount = models.PositiveBigIntegerField(_("Amount (fen)"))
    percent = models.PositiveSmallIntegerField(_("Share (per cent)"), null=True, blank=True)
    milestone = models.ForeignKey(
        Milestone,
        on_delete=models.PROTECT,
        related_name="payment_tranches",
        verbose_name=pgettext_lazy("delivery", "Milestone"),
    )
    needs_report = models.BooleanField(_("Released by an accepted report"), default=True)
    due_on = models.DateField(_("Due date"))
    release_report = models.ForeignKey(
        ProgressReport,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="released_tranches",
        verbose_name=_("Report that released it"),
    )
    disbursement = models.OneToOneField(
        "funding.Disbursement",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="scheduled",
        verbose_name=_("Disbursement"),
    )

    class Meta:
        verbose_name = _("Scheduled tranche")
        verbose_name_plural = _("Payment schedule")
        ordering = ["delivery", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "position"], name="delivery_tranche_position"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="delivery_tranche_pos"),
            models.CheckConstraint(
                condition=Q(percent__isnull=True) | Q(percent__gte=1, percent__lte=100),
                name="delivery_tranche_percent",
            ),
        ]

    def __str__(self):
        return f"{self.delivery} #{self.position}"
