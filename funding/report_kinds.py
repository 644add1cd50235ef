"""Registers the ``receipt`` report kind (``render_report receipt ID -o FILE.pdf``)."""

from django.utils.translation import gettext_lazy as _

from portal.core.reports import register_report

from .models import Receipt


def _build(obj_id: int, language: str) -> tuple[str, dict]:
    receipt = Receipt.objects.select_related("donation__project__organization").get(pk=obj_id)
    from .services.receipts import receipt_context

    return "funding/pdf/receipt.html", receipt_context(receipt)


register_report(
    "receipt",
    label=_("Donation receipt"),
    get_object=lambda obj_id: Receipt.objects.select_related("donation").get(pk=obj_id),
    build=_build,
    permission="funding.view_receipt",
    replace=True,
)
