"""Offline giving a donor can act on: where to transfer or bring the money (a Wagtail
site setting) and pledges with a reference code for the transfer memo."""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

from ..enums import OfflineMethod

# No 0/O, 1/I/L: a code read aloud or typed from a phone into a bank app.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_reference() -> str:
    return "GY" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


def _token() -> str:
    return secrets.token_urlsafe(32)


@register_setting(icon="form")
class OfflineGivingSettings(BaseSiteSetting):
    """Shown on the donate page (and a pledge's page) once the payee and either a bank
    account or an office address are filled in."""

    payee_name = models.CharField(
        _("Payee (legal name)"),
        max_length=200,
        blank=True,
        help_text=_("The organization's registered name, exactly as on the bank account."),
    )
    bank_name = models.CharField(
        _("Bank and branch"), max_length=200, blank=True, help_text=_("e.g. 中国银行深圳福田支行")
    )
    account_number = models.CharField(_("Account number"), max_length=64, blank=True)
    office_address = models.CharField(
        _("Office address (cash and cheques)"), max_length=300, blank=True
    )
    office_hours = models.CharField(
        _("Office hours"), max_length=200, blank=True, help_text=_("e.g. 周一至周五 9:00–17:30")
    )
    note = models.TextField(_("Note for donors"), blank=True)

    class Meta:
        verbose_name = _("Offline giving")

    @property
    def usable(self) -> bool:
        return bool(self.payee_name and (self.account_number or self.office_address))


class OfflinePledge(models.Model):
    """A donor's promise to give offline, with the reference code to write in the
    transfer memo (or quote at the office). It counts only when finance records the
    gift with this reference (then ``donation`` is set) and a second officer approves."""

    reference = models.CharField(
        _("Reference code"), max_length=20, unique=True, default=new_reference, editable=False
    )
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("Project"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="offline_pledges",
    )
    amount = models.PositiveBigIntegerField(_("Amount (fen)"))
    currency = models.CharField(_("Currency"), max_length=3, default="CNY")
    method = models.CharField(_("How you will give"), max_length=20, choices=OfflineMethod.choices)
    donor_name = models.CharField(_("Your name"), max_length=200, blank=True)
    donor_email = models.EmailField(_("Email"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("User"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    access_token = models.CharField(max_length=64, unique=True, default=_token, editable=False)
    donation = models.OneToOneField(
        "funding.Donation",
        verbose_name=_("Recorded gift"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pledge",
    )
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Offline pledge")
        verbose_name_plural = _("Offline pledges")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="funding_pledge_positive"
            ),
        ]

    def __str__(self):
        return self.reference
