"""After a gift counts: its receipt and the donor's thank-you notice, in the donor's
language (one gift at a time, or all the gifts an inbox batch counted at once)."""

from django.conf import settings
from django.db.models import Sum
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy

from portal.core.notifications.services import Message, notify, user_language

from ..enums import ReservationStatus
from ..models import Donation, MatchReservation


def after_counted_many(donations: list[Donation]) -> None:
    """``donations._after_counted`` for the gifts an inbox batch counted: their receipts in
    one go (``issue_receipts``), the match of all of them read in one query, then each
    donor's thank-you notice."""
    from .receipts import issue_receipts

    receipts = issue_receipts(donations)
    thanked = [d for d in donations if d.donor_email]
    if not thanked:
        return
    matched = dict(
        MatchReservation.objects.filter(
            donation_id__in=[d.pk for d in thanked], status=ReservationStatus.CONFIRMED
        )
        .values_list("donation_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for donation in thanked:
        thank_donor(donation, receipts[donation.pk], matched=matched.get(donation.pk, 0))


def donor_language(donation: Donation) -> str:
    """The language to write to a donor in: the one they gave in on the site, else their
    account's, else the site's."""
    if donation.language:
        return donation.language
    return user_language(donation.user) if donation.user_id else settings.LANGUAGE_CODE


def thank_donor(donation: Donation, receipt, *, matched: int | None = None) -> None:
    """Thank the donor in their language: amount, project (or general fund), match
    granted so far, the receipt and the gift's private page (both links open with the
    gift's token, so they work without an account)."""
    from portal.core.money import format_fen

    language = donor_language(donation)
    with translation.override(language):
        link = settings.SITE_URL + reverse(
            "funding_public:status", kwargs={"token": donation.access_token}
        )
        receipt_link = settings.SITE_URL + reverse(
            "funding_public:receipt_pdf", kwargs={"token": donation.access_token}
        )
    if matched is None:
        matched = (
            MatchReservation.objects.filter(
                donation=donation, status=ReservationStatus.CONFIRMED
            ).aggregate(total=Sum("amount"))["total"]
            or 0
        )
    lines = [
        Message(
            gettext_lazy("We received your donation of %(amount)s to %(purpose)s."),
            amount=format_fen(donation.amount, donation.currency),
            purpose=(
                Message(gettext_lazy("the project “%(title)s”"), title=donation.project.title)
                if donation.project
                else gettext_lazy("the general fund")
            ),
        ),
    ]
    if matched:
        lines.append(
            Message(
                gettext_lazy("Matching funds add %(match)s to it."),
                match=format_fen(matched, donation.currency),
            )
        )
    lines.append(
        Message(
            gettext_lazy("Your receipt %(number)s: %(receipt)s"),
            number=receipt.number,
            receipt=receipt_link,
        )
    )
    lines.append(Message(gettext_lazy("Your gift's page, with its progress: %(link)s"), link=link))
    notify(
        emails=[donation.donor_email],
        language=language,
        title=gettext_lazy("Thank you for your donation"),
        body=Message.lines(*lines),
    )
