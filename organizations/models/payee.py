"""The organization's bank account that tranches are paid to (收款账户)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PayeeAccount(models.Model):
    """Where the organization's tranches go: account name, bank, account number.

    Entered by staff from the organization's paperwork and marked verified by a
    *different* staff member (``verified_by`` is never ``entered_by``, a database
    constraint); changing any detail clears the verification
    (``projects.delivery.payee``). Lists show the number masked (``masked_number``)."""

    organization = models.OneToOneField(
        "organizations.Organization",
        on_delete=models.CASCADE,
        related_name="payee_account",
        verbose_name=_("Organization"),
    )
    account_name = models.CharField(_("Account name"), max_length=200)
    bank_name = models.CharField(_("Bank and branch"), max_length=200)
    account_number = models.CharField(_("Account number"), max_length=40)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("Entered by"),
    )
    entered_at = models.DateTimeField(_("Entered at"))
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("Verified by"),
    )
    verified_at = models.DateTimeField(_("Verified at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Payee bank account")
        verbose_name_plural = _("Payee bank accounts")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(verified_by=models.F("entered_by")),
                name="org_payee_four_eyes",
            ),
            models.CheckConstraint(
                condition=models.Q(verified_by__isnull=True, verified_at__isnull=True)
                | models.Q(verified_by__isnull=False, verified_at__isnull=False),
                name="org_payee_verified_pair",
            ),
        ]

    def __str__(self):
        return f"{self.account_name} · {self.bank_name} · {self.masked_number}"

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def masked_number(self) -> str:
        """The last four digits only (``•••• 1234``), for lists and pages that do not pay."""
        return f"•••• {self.account_number[-4:]}"
