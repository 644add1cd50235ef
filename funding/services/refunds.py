"""Finance asks a payment provider to refund a gift (WeChat Pay, Alipay).

The money moves back at the provider; the gift, its match and the ledger follow when
the provider reports the refund (notification, or the API's own answer when it
succeeded at once) — through the inbox, on the same idempotent path as every other
refund, so a refund is never reversed twice.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from ..enums import DonationStatus
from ..errors import InvalidTransition
from ..models import Donation
from ..providers import configured_providers
from .inbox import kick_workers, store_notifications

REFUNDABLE = ("wechatpay", "alipay")


def can_refund_online(donation: Donation) -> bool:
    """Whether finance can ask the provider to refund (part of) this gift from here."""
    return (
        donation.source in REFUNDABLE
        and donation.source in configured_providers()
        and donation.status == DonationStatus.SUCCEEDED
        and bool(donation.external_id)
        and donation.refunded_amount < donation.amount
    )


def request_refund(
    *, donation: Donation, amount: int, seen_refunded: int, by, reason: str = ""
) -> int:
    """Ask the provider to refund ``amount`` fen of ``donation``. Returns how many new
    inbox events were stored (1 when the provider refunded at once, else 0: its
    notification follows).

    ``seen_refunded`` is the refunded amount the person saw when deciding: when the
    gift's refunded amount has changed since (a refund completed meanwhile, e.g. the
    first of two clicks), the request is refused. The refund number is derived from it
    (``R<gift>-<seen refunded>-<amount>``), so a repeated click while the first refund
    is still under way asks the provider for the same refund (idempotent there) instead
    of a second one.
    Raises ``PermissionDenied`` unless ``by`` may record money, ``InvalidTransition``
    for a gift that cannot be refunded this way or an amount above what is left, and
    ``PaymentProviderError`` when the provider refuses or cannot be reached.
    """
    if not by.has_perm("funding.record_money"):
        raise PermissionDenied
    donation = Donation.objects.get(pk=donation.pk)
    if donation.source not in REFUNDABLE or donation.source not in configured_providers():
        raise InvalidTransition(
            "provider cannot refund", message=_("This gift cannot be refunded from here.")
        )
    if donation.status != DonationStatus.SUCCEEDED or not donation.external_id:
        raise InvalidTransition("gift not paid", message=_("Only a paid gift can be refunded."))
    if donation.refunded_amount != seen_refunded:
        raise InvalidTransition(
            "refunded amount changed",
            message=_(
                "This gift's refunds changed while you were deciding; check it again "
                "before asking for another refund."
            ),
        )
    left = donation.amount - donation.refunded_amount
    if not 0 < amount <= left:
        raise InvalidTransition(
            "bad refund amount",
            message=_("The refund must be more than zero and at most %(left)s fen.")
            % {"left": left},
        )
    from ..providers import alipay, wechatpay

    impl = {"wechatpay": wechatpay, "alipay": alipay}[donation.source]
    out_refund_no = f"R{donation.pk}-{seen_refunded}-{amount}"
    notifications = impl.refund(
        donation=donation, amount=amount, out_refund_no=out_refund_no, reason=reason
    )
    log(
        instance=donation,
        action="funding.refund_requested",
        user=by,
        data={"amount": amount, "refund": out_refund_no},
    )
    created = store_notifications(provider=donation.source, notifications=notifications)
    if created:
        kick_workers()
    return created
