"""Funding's named permissions (see organizations/rules.py for the model).

A guest gift (no account) belongs to nobody who is signed in: its private link (the
gift's unguessable ``access_token``) is the only door to it, so ``is_gift_donor`` is
true only for the account the gift was made under. An annual receipt (no single gift)
belongs to the account whose *verified* e-mail address it was issued to.
"""

import rules

from organizations.rules import (
    is_administrator,
    is_finance_officer,
    verified_emails,
)


@rules.predicate
def is_gift_donor(user, receipt) -> bool:
    if not (user and user.is_authenticated and receipt is not None):
        return False
    donation = receipt.donation
    if donation is not None:
        return donation.user_id is not None and donation.user_id == user.pk
    return bool(receipt.donor_email) and receipt.donor_email.lower() in verified_emails(user)


rules.add_perm("funding.view_receipt", is_gift_donor | is_finance_officer | is_administrator)
# Money in the admin: the funding viewsets (donations, pools, sponsors, rules, tiers,
# disbursements, ledger, claw-backs, payment notifications, their CSV/XLSX exports) and
# recording offline gifts, imports, disbursements, pool top-ups (finance officers only;
# a second one approves).
rules.add_perm("funding.record_money", is_finance_officer)
# The finance figures of the admin dashboard.
rules.add_perm("funding.view_money_figures", is_finance_officer | is_administrator)
