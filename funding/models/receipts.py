"""What a receipt needs beyond the gift: who issues it (a Wagtail site setting finance
may edit) and the per-year counters its serial numbers come from."""

import secrets

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

from ..storage import private_storage
from ..validators import validate_credit_code_field, validate_seal_image


def _seal_path(instance, filename):
    return f"funding/seal/{secrets.token_hex(8)}/{filename}"


@register_setting(icon="doc-full")
class ReceiptSettings(BaseSiteSetting):
    """The issuer printed on every donation receipt (捐赠票据): legal name, unified social
    credit code and seal. A receipt issued while these are empty still renders, with a
    note that the issuer is not configured."""

    issuer_name = models.CharField(
        _("Issuer (legal name)"),
        max_length=200,
        blank=True,
        help_text=_("The organization's registered name, exactly as on its certificate."),
    )
    credit_code = models.CharField(
        _("Unified social credit code"),
        max_length=18,
        blank=True,
        validators=[validate_credit_code_field],
    )
    seal = models.FileField(
        _("Seal image (PNG or JPEG)"),
        upload_to=_seal_path,
        storage=private_storage,
        blank=True,
        max_length=255,
        validators=[validate_seal_image],
        help_text=_(
            "A scan of the receipt seal (财务专用章 or 公章) on a transparent or white "
            "background. Kept in private storage; printed on receipts only. Upload a new "
            "file to replace it."
        ),
    )

    # A plain file input: the stored seal has no public URL to link to.
    panels = [
        FieldPanel("issuer_name"),
        FieldPanel("credit_code"),
        FieldPanel("seal", widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg"})),
    ]

    class Meta:
        verbose_name = _("Receipt issuer")

    @property
    def configured(self) -> bool:
        return bool(self.issuer_name and self.credit_code)


class ReceiptCounter(models.Model):
    """The last serial number issued in a series (single receipts ``""``, annual
    statements ``"A"``) and year. Read and bumped under its row lock in the issuing
    transaction, so numbers run without gaps and are never reused (a rolled-back issue
    rolls its number back with it)."""

    series = models.CharField(_("Series"), max_length=4, blank=True)
    year = models.PositiveIntegerField(_("Year"))
    last = models.PositiveIntegerField(_("Last number issued"), default=0)

    class Meta:
        verbose_name = _("Receipt counter")
        verbose_name_plural = _("Receipt counters")
        constraints = [
            models.UniqueConstraint(fields=["series", "year"], name="funding_receipt_counter_once")
        ]

    def __str__(self):
        return f"{self.series}{self.year}: {self.last}"
