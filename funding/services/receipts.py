"""Donation receipts (the portal's acknowledgement, 捐赠收据) and their PDF.

A receipt carries the issuer from the ``ReceiptSettings`` site setting, a serial number
per year without gaps (``2026-000001``; annual statements ``A2026-000001``) taken from a
counter row locked in the issuing transaction, the amount in figures and in Chinese
capitals, the purpose, a TEST watermark for gifts that moved no real money, and, once
finance records it, the official fiscal e-receipt (公益事业捐赠统一票据) issued by the
finance bureau's system.
"""

import base64

from django.db import transaction
from django.utils import timezone
from wagtail.log_actions import log

from portal.core.money import fen_to_capitals

from ..enums import DonationStatus, ReceiptKind
from ..errors import InvalidTransition
from ..models import Donation, Receipt, ReceiptCounter, ReceiptSettings
from ..providers import is_test_payment

SINGLE_SERIES = ""
ANNUAL_SERIES = "A"


def next_receipt_numbers(*, series: str, year: int, count: int) -> list[str]:
    """``count`` consecutive serial numbers of ``series`` in ``year``, taken under the
    counter row's lock in one bump (see :func:`next_receipt_number`)."""
    if count <= 0:
        return []
    counters = ReceiptCounter.objects.select_for_update()
    counter = counters.filter(series=series, year=year).first()
    if counter is None:
        ReceiptCounter.objects.bulk_create(
            [ReceiptCounter(series=series, year=year)], ignore_conflicts=True
        )
        counter = counters.get(series=series, year=year)
    first = counter.last + 1
    counter.last += count
    counter.save(update_fields=["last"])
    return [f"{series}{year}-{n:06d}" for n in range(first, counter.last + 1)]


def next_receipt_number(*, series: str, year: int) -> str:
    """The next serial number of ``series`` in ``year`` (``2026-000042``).

    The counter row is created on first use (an insert that ignores a concurrent twin)
    and bumped under its row lock, which the caller's transaction holds until it ends:
    concurrent issues queue one after another, and a rolled-back issue rolls its number
    back, so numbers run without gaps and none is used twice. Must run inside a
    transaction, as late in it as possible (the lock serialises issuing)."""
    counters = ReceiptCounter.objects.select_for_update()
    counter = counters.filter(series=series, year=year).first()
    if counter is None:
        ReceiptCounter.objects.bulk_create(
            [ReceiptCounter(series=series, year=year)], ignore_conflicts=True
        )
        counter = counters.get(series=series, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{series}{year}-{counter.last:06d}"


def _issue_year() -> int:
    return timezone.localdate().year


@transaction.atomic(savepoint=False)
def issue_receipt(*, donation: Donation, by=None) -> Receipt:
    """Issue the donation's numbered receipt (idempotent: one per donation).

    Numbered ``<year of issue>-<6 digits>`` from the gap-free counter. A donor who stays
    anonymous or did not ask for a receipt gets a receipt recorded as declined, no name.
    A gift through a test provider or test keys is marked ``test_mode`` (watermarked).
    Raises ``InvalidTransition`` unless the donation succeeded and is not flagged."""
    existing = Receipt.objects.filter(donation=donation).first()
    if existing:
        return existing
    if donation.status != DonationStatus.SUCCEEDED or donation.flagged:
        raise InvalidTransition("only counted donations get receipts")
    receipt = _single_receipt(
        donation, next_receipt_number(series=SINGLE_SERIES, year=_issue_year())
    )
    receipt.save(force_insert=True)
    log(instance=receipt, action="funding.receipt_issued", user=by)
    return receipt


@transaction.atomic(savepoint=False)
def issue_receipts(donations: list[Donation]) -> dict[int, Receipt]:
    """:func:`issue_receipt` for many counted gifts at once (an inbox batch's tail):
    one read of the receipts already issued, one bump of the yearly counter, one
    insert of the receipts and one of their audit entries. Returns the receipt of each
    gift by gift id. Raises ``InvalidTransition`` like :func:`issue_receipt`."""
    ids = [d.pk for d in donations]
    result = {r.donation_id: r for r in Receipt.objects.filter(donation_id__in=ids)}
    new: dict[int, Donation] = {}
    for donation in donations:
        if donation.pk in result or donation.pk in new:
            continue
        if donation.status != DonationStatus.SUCCEEDED or donation.flagged:
            raise InvalidTransition("only counted donations get receipts")
        new[donation.pk] = donation
    if not new:
        return result
    numbers = next_receipt_numbers(series=SINGLE_SERIES, year=_issue_year(), count=len(new))
    receipts = [_single_receipt(d, n) for d, n in zip(new.values(), numbers, strict=True)]
    Receipt.objects.bulk_create(receipts)
    log_many(receipts, action="funding.receipt_issued")
    result.update({r.donation_id: r for r in receipts})
    return result


def log_many(instances: list, *, action: str, by=None) -> None:
    """Audit entries for many rows of one model in one insert (what ``log()`` writes
    for each: same content type, label, action, user and log-context uuid)."""
    from django.contrib.contenttypes.models import ContentType
    from wagtail.log_actions import get_active_log_context, registry

    if not instances:
        return
    model = registry.get_log_model_for_instance(instances[0])
    if model is None:
        return
    context = get_active_log_context()
    content_type = ContentType.objects.get_for_model(instances[0], for_concrete_model=False)
    now = timezone.now()
    model.objects.bulk_create(
        [
            model(
                content_type=content_type,
                label=model.objects.get_instance_title(instance),
                action=action,
                timestamp=now,
                data={},
                user=by or context.user,
                uuid=context.uuid,
                object_id=str(instance.pk),
            )
            for instance in instances
        ]
    )


def _single_receipt(donation: Donation, number: str) -> Receipt:
    declined = donation.hides_name or not donation.receipt_requested
    return Receipt(
        number=number,
        kind=ReceiptKind.SINGLE,
        donation=donation,
        donor_email=donation.donor_email,
        year=(donation.received_at or timezone.now()).year,
        donor_name="" if declined else (donation.receipt_name or donation.donor_name),
        amount=donation.net_amount,
        currency=donation.currency,
        # The project's title when issued (a later rename does not change a receipt);
        # empty for the general fund, which the PDF names in the reader's language.
        purpose=donation.project.title if donation.project else "",
        declined=declined,
        test_mode=is_test_payment(donation.source),
    )


@transaction.atomic
def issue_annual_statement(*, donor_email: str, year: int, by=None) -> Receipt:
    """One annual statement per donor email and year (unique), summing counted gifts;
    numbered in its own series (``A2026-000001``)."""
    existing = Receipt.objects.filter(
        kind=ReceiptKind.ANNUAL, donor_email__iexact=donor_email, year=year
    ).first()
    if existing:
        return existing
    gifts = list(
        Donation.objects.counted().filter(donor_email__iexact=donor_email, received_at__year=year)
    )
    total = sum(d.net_amount for d in gifts)
    if total <= 0:
        raise InvalidTransition("no counted donations that year")
    name = next((d.donor_name for d in gifts if d.donor_name), "")
    receipt = Receipt.objects.create(
        number=next_receipt_number(series=ANNUAL_SERIES, year=_issue_year()),
        kind=ReceiptKind.ANNUAL,
        donor_email=donor_email,
        year=year,
        donor_name=name,
        amount=total,
        currency=gifts[0].currency,
        purpose=str(len(gifts)),
        declined=not name,
        test_mode=any(is_test_payment(d.source) for d in gifts),
    )
    log(instance=receipt, action="funding.receipt_issued", user=by)
    return receipt


@transaction.atomic
def record_official_receipt(*, receipt: Receipt, code: str, number: str, pdf, by) -> Receipt:
    """Record the official fiscal e-receipt (公益事业捐赠统一票据) the finance bureau's
    system issued for this acknowledgement: its 8-digit code, 10-digit number and PDF
    (``pdf`` an upload already checked by the form, or None to keep the stored one).
    The donor sees it on the gift's page and on ``/me/``. Correcting an earlier entry
    is allowed and audit-logged. Raises ``PermissionDenied`` unless ``by`` may record
    money, ``ValidationError`` for a malformed code or number, and ``DomainError`` when
    another receipt already carries this e-receipt."""
    from django.core.exceptions import PermissionDenied
    from django.utils.translation import gettext

    from portal.core.errors import DomainError

    from ..validators import validate_official_code, validate_official_number

    if not by.has_perm("funding.record_money"):
        raise PermissionDenied
    validate_official_code(code)
    validate_official_number(number)
    receipt = Receipt.objects.select_for_update().get(pk=receipt.pk)
    clash = (
        Receipt.objects.filter(official_code=code, official_number=number)
        .exclude(pk=receipt.pk)
        .values_list("number", flat=True)
        .first()
    )
    if clash:
        raise DomainError(
            gettext("This e-receipt is already recorded on receipt %(number)s.")
            % {"number": clash},
            field="official_number",
        )
    if pdf is None and not receipt.official_pdf:
        raise DomainError(gettext("Attach the e-receipt's PDF."), field="pdf")
    receipt.official_code, receipt.official_number = code, number
    receipt.official_recorded_at, receipt.official_recorded_by = timezone.now(), by
    fields = ["official_code", "official_number", "official_recorded_at", "official_recorded_by"]
    if pdf is not None:
        receipt.official_pdf.save("e-receipt.pdf", pdf, save=False)
        fields.append("official_pdf")
    receipt.save(update_fields=fields)
    log(
        instance=receipt,
        action="funding.official_receipt_recorded",
        user=by,
        data={"code": code, "number": number},
    )
    return receipt


def issuer_settings() -> ReceiptSettings | None:
    """The default site's receipt issuer settings (None without a default site)."""
    from wagtail.models import Site

    site = Site.objects.filter(is_default_site=True).first()
    return ReceiptSettings.for_site(site) if site else None


def _seal_data_uri(issuer: ReceiptSettings | None) -> str:
    """The seal as a data: URI (the PDF renderer fetches nothing else); "" when there is
    none or the stored file cannot be read."""
    if issuer is None or not issuer.seal:
        return ""
    try:
        with issuer.seal.open("rb") as handle:
            data = handle.read()
    except OSError:
        return ""
    mime = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def receipt_fingerprint(receipt: Receipt, issuer: ReceiptSettings | None) -> tuple:
    """What the PDF shows that can change after it was rendered."""
    donation = receipt.donation
    return (
        receipt.amount,
        receipt.official_reference,
        donation.refunded_amount if donation else 0,
        issuer.issuer_name if issuer else "",
        issuer.credit_code if issuer else "",
        issuer.seal.name if issuer and issuer.seal else "",
    )


def receipt_context(receipt: Receipt) -> dict:
    """Everything ``funding/pdf/receipt.html`` shows. Missing issuer settings never
    fail the rendering: the PDF says the issuer is not configured."""
    from django.utils.translation import gettext

    issuer = issuer_settings()
    donation = receipt.donation
    refunded = donation.refunded_amount if donation else 0
    return {
        "receipt": receipt,
        "donation": donation,
        "title": f"{gettext('Donation receipt')} {receipt.number}",
        "reference": receipt.number,
        "issuer": issuer if issuer and issuer.configured else None,
        "seal": _seal_data_uri(issuer),
        "capitals": fen_to_capitals(receipt.amount) if receipt.currency == "CNY" else "",
        "refunded": refunded,
        "fully_refunded": bool(donation) and refunded >= donation.amount,
        "gift_count": int(receipt.purpose) if receipt.purpose.isdigit() else None,
    }


def render_receipt_pdf(*, receipt: Receipt) -> bytes:
    """PDF bytes of a receipt through the portal's report layer."""
    from portal.core.pdf import render_template_pdf

    return render_template_pdf("funding/pdf/receipt.html", receipt_context(receipt))


__all__ = [
    "issue_annual_statement",
    "issue_receipt",
    "next_receipt_number",
    "record_official_receipt",
    "render_receipt_pdf",
]
