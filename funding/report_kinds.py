"""Registers the ``receipt`` report kind (``render_report receipt ID -o FILE.pdf``)."""

from django.utils.translation import gettext_lazy as _

from portal.core.reports import register_report

from .models import Receipt


def _build(obj_id: int, language: str) -> tuple[str, dict]:
    receipt = Receipt.objects.select_related("donation__project__organization").get(pk=obj_id)
    from .services.receipts import receipt_context

    return "funding/pdf/receipt.html", receipt_context(receipt)


def _can_view(user, receipt) -> bool:
    from organizations.roles import FINANCE_OFFICER, has_role

    return bool(
        user
        and (
            user.is_staff
            or has_role(user, FINANCE_OFFICER)
            or (receipt.donation and receipt.donation.user_id == user.pk)
        )
    )


register_report(
    "receipt",
    label=_("Donation receipt"),
    get_object=lambda obj_id: Receipt.objects.get(pk=obj_id),
    build=_build,
    can_view=_can_view,
    replace=True,
)
