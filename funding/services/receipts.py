"""Numbered donation receipts (捐赠票据) and their PDF."""

import uuid

from django.db import transaction
from django.utils import timezone
from wagtail.log_actions import log

from ..enums import DonationStatus, ReceiptKind
from ..errors import InvalidTransition
from ..models import Donation, Receipt


def _numbered(receipt: Receipt, prefix: str) -> Receipt:
    """Numbers derive from the primary key (``R2026-000042``): unique, increasing, and free
    of read-then-write races between concurrent issues."""
    receipt.number = f"{prefix}{receipt.year}-{receipt.pk:06d}"
    receipt.save(update_fields=["number"])
    return receipt


@transaction.atomic(savepoint=False)
def issue_receipt(*, donation: Donation, by=None) -> Receipt:
    """Issue the donation's numbered receipt (idempotent: one per donation).

    Numbers are ``R<year>-<6 digits>``, unique in the database. A donor who stays
    anonymous or did not ask for a receipt gets a receipt recorded as declined, no name.
    Raises ``InvalidTransition`` unless the donation succeeded and is not flagged.
    """
    existing = Receipt.objects.filter(donation=donation).first()
    if existing:
        return existing
    if donation.status != DonationStatus.SUCCEEDED or donation.flagged:
        raise InvalidTransition("only counted donations get receipts")
    declined = donation.hides_name or not donation.receipt_requested
    year = (donation.received_at or timezone.now()).year
    purpose = donation.project.title if donation.project else "General fund"
    receipt = _numbered(
        Receipt.objects.create(
            number=f"tmp-{uuid.uuid4().hex[:24]}",
            kind=ReceiptKind.SINGLE,
            donation=donation,
            donor_email=donation.donor_email,
            year=year,
            donor_name="" if declined else (donation.receipt_name or donation.donor_name),
            amount=donation.net_amount,
            currency=donation.currency,
            purpose=purpose,
            declined=declined,
        ),
        "R",
    )
    log(instance=receipt, action="funding.receipt_issued", user=by)
    return receipt


@transaction.atomic
def issue_annual_statement(*, donor_email: str, year: int, by=None) -> Receipt:
    """One annual statement per donor email and year (unique), summing counted gifts."""
    existing = Receipt.objects.filter(
        kind=ReceiptKind.ANNUAL, donor_email__iexact=donor_email, year=year
    ).first()
    if existing:
        return existing
    gifts = Donation.objects.counted().filter(
        donor_email__iexact=donor_email, received_at__year=year
    )
    total = sum(d.net_amount for d in gifts)
    if total <= 0:
        raise InvalidTransition("no counted donations that year")
    name = gifts.exclude(donor_name="").values_list("donor_name", flat=True).first() or ""
    receipt = _numbered(
        Receipt.objects.create(
            number=f"tmp-{uuid.uuid4().hex[:24]}",
            kind=ReceiptKind.ANNUAL,
            donor_email=donor_email,
            year=year,
            donor_name=name,
            amount=total,
            currency=gifts.first().currency,
            purpose=f"{gifts.count()} donations",
            declined=not name,
        ),
        "A",
    )
    log(instance=receipt, action="funding.receipt_issued", user=by)
    return receipt


def render_receipt_pdf(*, receipt: Receipt) -> bytes:
    """PDF bytes of a receipt through the portal's report layer."""
    from portal.core.pdf import render_template_pdf

    return render_template_pdf("funding/pdf/receipt.html", receipt_context(receipt))


def receipt_context(receipt: Receipt) -> dict:
    from django.utils.translation import gettext

    return {
        "receipt": receipt,
        "title": f"{gettext('Donation receipt')} {receipt.number}",
        "reference": receipt.number,
    }


__all__ = ["issue_annual_statement", "issue_receipt", "render_receipt_pdf"]
