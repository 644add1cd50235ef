"""Registers the ``receipt`` report kind (``render_report receipt ID -o FILE.pdf``)."""

from django.utils.translation import gettext_lazy as _

from portal.core.reports import data_fingerprint, register_report

from .models import Receipt


def _receipt(obj_id: int) -> Receipt:
    return Receipt.objects.select_related("donation__project__organization").get(pk=obj_id)


def _build(obj_id: int, language: str) -> tuple[str, dict]:
    from .services.receipts import receipt_context

    return "funding/pdf/receipt.html", receipt_context(_receipt(obj_id))


def _fingerprint(obj_id: int) -> str:
    """A stored PDF is rendered again once a refund, the official e-receipt or the
    issuer settings changed what it shows."""
    from .services.receipts import issuer_settings, receipt_fingerprint

    receipt = Receipt.objects.select_related("donation").get(pk=obj_id)
    return data_fingerprint(*receipt_fingerprint(receipt, issuer_settings()))


register_report(
    "receipt",
    label=_("Donation receipt"),
    get_object=lambda obj_id: Receipt.objects.select_related("donation").get(pk=obj_id),
    build=_build,
    permission="funding.view_receipt",
    fingerprint=_fingerprint,
    replace=True,
)
