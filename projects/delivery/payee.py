"""The payee's bank details (收款账户) that scheduled tranches are paid to.

Staff (programme staff or finance officers) enter an organization's account from its
paperwork; a *different* staff member marks it verified. Changing any detail clears the
verification, so a tranche is never recorded from the schedule to details nobody checked.
"""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from organizations.models import Organization, PayeeAccount
from organizations.roles import ADMINISTRATOR, FINANCE_OFFICER, PROGRAMME_OFFICER, has_role

from .services import DeliveryError

# Mainland bank account numbers are 8 to 30 digits; spaces and dashes are typing aids.
_ACCOUNT_NUMBER = re.compile(r"^\d{8,30}$")


def can_manage_payee(user) -> bool:
    return has_role(user, ADMINISTRATOR, PROGRAMME_OFFICER, FINANCE_OFFICER)


def _require(user) -> None:
    if not can_manage_payee(user):
        raise PermissionDenied(_("Only programme staff and finance officers may do this."))


@transaction.atomic
def save_payee_account(
    *, organization: Organization, account_name: str, bank_name: str, account_number: str, by
) -> PayeeAccount:
    """Create or change ``organization``'s payee account. A change of any detail clears
    the verification. Audit-logged (``delivery.payee.save``, number masked). Raises
    ``PermissionDenied`` for anyone but staff and finance, ``DeliveryError`` listing every
    problem (blank name or bank, account number not 8–30 digits, nothing changed)."""
    _require(by)
    account_name, bank_name = account_name.strip(), bank_name.strip()
    number = re.sub(r"[\s-]", "", account_number or "")
    errors = []
    if not account_name:
        errors.append(_("Give the account name."))
    if not bank_name:
        errors.append(_("Give the bank and branch."))
    if not _ACCOUNT_NUMBER.match(number):
        errors.append(_("The account number must be 8 to 30 digits."))
    if errors:
        raise DeliveryError(errors)
    account = PayeeAccount.objects.select_for_update().filter(organization=organization).first()
    details = {"account_name": account_name, "bank_name": bank_name, "account_number": number}
    if account and all(getattr(account, k) == v for k, v in details.items()):
        raise DeliveryError(_("Nothing changed."))
    if account is None:
        account = PayeeAccount(organization=organization)
    for key, value in details.items():
        setattr(account, key, value)
    account.entered_by, account.entered_at = by, timezone.now()
    account.verified_by = account.verified_at = None
    account.save()
    log(
        instance=organization,
        action="delivery.payee.save",
        user=by,
        data={"account": str(account)},
    )
    return account


@transaction.atomic
def verify_payee_account(*, account: PayeeAccount, by) -> PayeeAccount:
    """Mark the payee account verified (a staff member who did not enter it).
    Audit-logged (``delivery.payee.verify``). Raises ``PermissionDenied`` for anyone but
    staff and finance, ``DeliveryError`` when ``by`` entered it or it is verified."""
    _require(by)
    account = PayeeAccount.objects.select_for_update().get(pk=account.pk)
    if account.entered_by_id == by.pk:
        raise DeliveryError(
            _("You entered these bank details: another staff member verifies them.")
        )
    if account.is_verified:
        raise DeliveryError(_("These bank details are already verified."))
    account.verified_by, account.verified_at = by, timezone.now()
    account.save(update_fields=["verified_by", "verified_at"])
    log(
        instance=account.organization,
        action="delivery.payee.verify",
        user=by,
        data={"account": str(account)},
    )
    return account
