import secrets

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.core.money import format_fen

from ..enums import (
    Anonymity,
    DisputeStatus,
    DonationSource,
    DonationStatus,
    ImportStatus,
    OfflineMethod,
    ReceiptKind,
)
from ..storage import private_storage


def _token() -> str:
    return secrets.token_urlsafe(24)


def _evidence_path(instance, filename):
    return f"funding/evidence/{secrets.token_hex(8)}/{filename}"


def _official_receipt_path(instance, filename):
    return f"funding/official-receipts/{secrets.token_hex(8)}/e-receipt.pdf"


class DonationQuerySet(models.QuerySet):
    def succeeded(self):
        return self.filter(status=DonationStatus.SUCCEEDED)

    def counted(self):
        """Money that counts publicly: succeeded, not flagged."""
        return self.succeeded().filter(flagged=False)


class Donation(models.Model):
    """A gift to a project (or to the general fund when ``project`` is empty)."""

    # Money rows are written on the hot path and referenced from nowhere Wagtail shows
    # usage for: keep them out of Wagtail's reference index (saves a lookup and an
    # insert per save inside the gift's transaction).
    wagtail_reference_index_ignore = True

    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("Project"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="donations",
    )
    amount = models.PositiveBigIntegerField(_("Amount (fen)"))
    currency = models.CharField(_("Currency"), max_length=3, default="CNY")
    source = models.CharField(_("Source"), max_length=20, choices=DonationSource.choices)
    status = models.CharField(
        _("Status"),
        max_length=20,
        choices=DonationStatus.choices,
        default=DonationStatus.PENDING,
        db_index=True,
    )
    donor_name = models.CharField(_("Donor name"), max_length=200, blank=True)
    donor_email = models.EmailField(_("Donor email"), blank=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Donor account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="donations",
    )
    message = models.CharField(_("Message"), max_length=500, blank=True)
    anonymity = models.CharField(
        _("Anonymity"), max_length=20, choices=Anonymity.choices, default=Anonymity.NONE
    )
    dedication = models.CharField(_("In honour of"), max_length=200, blank=True)
    receipt_requested = models.BooleanField(_("Receipt requested"), default=False)
    receipt_name = models.CharField(_("Name on receipt"), max_length=200, blank=True)
    receipt_address = models.CharField(_("Receipt postal address"), max_length=300, blank=True)
    flagged = models.BooleanField(_("Flagged"), default=False, db_index=True)
    flag_reason = models.CharField(_("Flag reason"), max_length=300, blank=True)
    # Finance review (e.g. velocity limit tripped later by the same IP / email). Unlike
    # ``flagged`` it does not change whether the gift counts; staff look at it and mark
    # it reviewed.
    needs_review = models.BooleanField(_("Needs finance review"), default=False, db_index=True)
    review_reason = models.CharField(_("Review reason"), max_length=300, blank=True)
    refunded_amount = models.PositiveBigIntegerField(_("Refunded (fen)"), default=0)
    dispute_status = models.CharField(
        _("Dispute"), max_length=10, choices=DisputeStatus.choices, default="", blank=True
    )
    # Provider reference: Stripe Checkout Session id, platform record id, offline reference.
    external_id = models.CharField(_("External id"), max_length=200, blank=True)
    import_source = models.CharField(_("Import source"), max_length=50, blank=True)
    payment_intent = models.CharField(
        _("Stripe payment intent"), max_length=200, blank=True, db_index=True
    )
    offline_method = models.CharField(
        _("Offline method"), max_length=20, choices=OfflineMethod.choices, blank=True
    )
    evidence = models.FileField(
        pgettext_lazy("payment", "Evidence"),
        upload_to=_evidence_path,
        storage=private_storage,
        blank=True,
        max_length=255,
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    # The interface language the donor gave in (the thank-you mail is written in it).
    language = models.CharField(_("Language"), max_length=10, blank=True)
    access_token = models.CharField(max_length=64, unique=True, default=_token, editable=False)
    # Written by our provider code only; an Alipay page-pay URL carries the signed order
    # (subject, body, RSA2 signature) and runs to several thousand characters.
    checkout_url = models.TextField(_("Checkout URL"), blank=True)
    # The payload of the QR code the donor scans (WeChat Pay Native ``code_url``), shown
    # on our own payment page; empty for providers that redirect to their own page.
    payment_code = models.CharField(_("Payment QR code"), max_length=500, blank=True)
    # When the open checkout session (``external_id``) expires at the provider. Until
    # then reopening checkout reuses it, so a gift never has two payable sessions.
    checkout_expires_at = models.DateTimeField(_("Checkout expires at"), null=True, blank=True)
    # A second real payment for a gift that was already paid: recorded as its own row
    # (flagged, not counted, to be refunded), pointing at the gift it duplicates.
    import_batch = models.ForeignKey(
        "funding.ImportBatch",
        verbose_name=_("Import batch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="donations",
    )
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("Second payment for"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicate_payments",
    )
    received_at = models.DateTimeField(
        pgettext_lazy("payment", "Received at"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True, db_index=True)

    objects = DonationQuerySet.as_manager()

    class Meta:
        verbose_name = _("Donation")
        verbose_name_plural = _("Donations")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="funding_don_positive"),
            models.CheckConstraint(
                condition=models.Q(refunded_amount__lte=models.F("amount")),
                name="funding_don_refund_le_amount",
            ),
            models.CheckConstraint(
                condition=~models.Q(approved_by=models.F("recorded_by")),
                name="funding_don_four_eyes",
            ),
            # A rejected (never counted) gift frees its reference for a corrected record.
            models.UniqueConstraint(
                fields=["source", "import_source", "external_id"],
                condition=~models.Q(external_id="") & ~models.Q(status="rejected"),
                name="funding_don_external_id_unique",
            ),
            # An offline reference is one transfer whatever its letter case (stored
            # upper case by record_offline_donation; the index holds it for any writer).
            models.UniqueConstraint(
                Upper("external_id"),
                condition=models.Q(source="offline")
                & ~models.Q(external_id="")
                & ~models.Q(status="rejected"),
                name="funding_don_offline_reference_unique",
            ),
            # One provider payment is one gift: a payment intent / transaction id
            # belongs to at most one donation row.
            models.UniqueConstraint(
                fields=["source", "payment_intent"],
                condition=~models.Q(payment_intent=""),
                name="funding_don_one_gift_per_payment",
            ),
        ]
        indexes = [
            models.Index(fields=["project", "status"], name="funding_don_project_status"),
        ]

    def __str__(self):
        return f"#{self.pk} {format_fen(self.amount, self.currency)}"

    @property
    def net_amount(self) -> int:
        return self.amount - self.refunded_amount

    @property
    def hides_name(self) -> bool:
        return self.anonymity in (Anonymity.HIDE_NAME, Anonymity.HIDE_BOTH)

    @property
    def hides_amount(self) -> bool:
        return self.anonymity in (Anonymity.HIDE_AMOUNT, Anonymity.HIDE_BOTH)

    @property
    def public_name(self) -> str:
        if self.hides_name or not self.donor_name:
            return str(_("Anonymous donor"))
        return self.donor_name


class ProviderRefund(models.Model):
    """One refund a provider reported by its own id (WeChat Pay ``refund_id``): applied
    to its gift exactly once, however often or in whatever order it is reported."""

    donation = models.ForeignKey(
        Donation,
        verbose_name=_("Donation"),
        on_delete=models.PROTECT,
        related_name="provider_refunds",
    )
    source = models.CharField(_("Source"), max_length=20, choices=DonationSource.choices)
    refund_id = models.CharField(_("Refund id"), max_length=200)
    amount = models.PositiveBigIntegerField(_("Amount (fen)"))
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Provider refund")
        verbose_name_plural = _("Provider refunds")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "refund_id"], name="funding_provider_refund_once"
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="funding_provider_refund_positive"
            ),
        ]

    def __str__(self):
        return f"{self.source} {self.refund_id}"


class ImportBatch(models.Model):
    """One committed platform import (file name, who, how many rows)."""

    source = models.CharField(_("Source"), max_length=50)
    file_name = models.CharField(_("File name"), max_length=255)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Imported by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_count = models.PositiveIntegerField(_("Created"), default=0)
    skipped_count = models.PositiveIntegerField(_("Already imported"), default=0)
    total = models.PositiveBigIntegerField(_("Total (fen)"), default=0)
    status = models.CharField(
        _("Status"),
        max_length=20,
        choices=ImportStatus.choices,
        default=ImportStatus.AWAITING_APPROVAL,
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("Decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Import batch")
        verbose_name_plural = _("Import batches")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(approved_by=models.F("imported_by")),
                name="funding_import_four_eyes",
            ),
        ]

    def __str__(self):
        return f"{self.source} {self.file_name}"


class Receipt(models.Model):
    """A numbered donation receipt (捐赠票据). Anonymous / declined receipts are recorded
    with ``declined=True`` and carry no donor name."""

    # Money rows are written on the hot path and referenced from nowhere Wagtail shows
    # usage for: keep them out of Wagtail's reference index (saves a lookup and an
    # insert per save inside the gift's transaction).
    wagtail_reference_index_ignore = True

    number = models.CharField(_("Number"), max_length=30, unique=True)
    kind = models.CharField(
        _("Kind"), max_length=10, choices=ReceiptKind.choices, default=ReceiptKind.SINGLE
    )
    donation = models.OneToOneField(
        Donation,
        verbose_name=_("Donation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="receipt",
    )
    donor_email = models.EmailField(_("Donor email"), blank=True)
    year = models.PositiveIntegerField(_("Year"))
    donor_name = models.CharField(_("Donor"), max_length=200, blank=True)
    amount = models.PositiveBigIntegerField(_("Amount (fen)"))
    currency = models.CharField(_("Currency"), max_length=3, default="CNY")
    purpose = models.CharField(_("Purpose"), max_length=300)
    declined = models.BooleanField(_("Anonymous or declined"), default=False)
    # A gift paid through a test provider or test keys: the PDF carries a TEST watermark.
    test_mode = models.BooleanField(_("Test payment"), default=False)
    issued_at = models.DateTimeField(_("Issued at"), auto_now_add=True)
    # The official receipt (公益事业捐赠统一票据, a fiscal e-receipt) once the finance
    # bureau's system has issued it: its code and number, and its PDF (private storage).
    official_code = models.CharField(_("E-receipt code (票据代码)"), max_length=8, blank=True)
    official_number = models.CharField(_("E-receipt number (票据号码)"), max_length=10, blank=True)
    official_pdf = models.FileField(
        _("E-receipt PDF"),
        upload_to=_official_receipt_path,
        storage=private_storage,
        blank=True,
        max_length=255,
    )
    official_recorded_at = models.DateTimeField(_("E-receipt recorded at"), null=True, blank=True)
    official_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("E-receipt recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("Receipt")
        verbose_name_plural = _("Receipts")
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["donor_email", "year"],
                condition=models.Q(kind=ReceiptKind.ANNUAL),
                name="funding_receipt_one_annual",
            ),
            # One fiscal e-receipt acknowledges one gift.
            models.UniqueConstraint(
                fields=["official_code", "official_number"],
                condition=~models.Q(official_number=""),
                name="funding_receipt_official_once",
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def has_official(self) -> bool:
        return bool(self.official_number)

    @property
    def official_reference(self) -> str:
        """``票据代码 code 票据号码 number`` as printed on the e-receipt ("" when none)."""
        if not self.official_number:
            return ""
        return f"{self.official_code}-{self.official_number}"
