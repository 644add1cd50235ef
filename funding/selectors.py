"""Read-side queries for public figures and lists."""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q, Sum

from .enums import AccountKind, DonationStatus, TransactionKind
from .models import Donation, Entry, Expenditure

RAISED = [TransactionKind.DONATION, TransactionKind.DONATION_REVERSAL]
MATCHED = [TransactionKind.MATCH_CONFIRM, TransactionKind.MATCH_REVERSAL,
           TransactionKind.SETTLEMENT]


@dataclass
class ProjectMoney:
    raised: int
    matched: int
    disbursed: int
    spent: int
    currency: str

    @property
    def total(self) -> int:
        return self.raised + self.matched


def project_money(project) -> ProjectMoney:
    """Raised, matched, disbursed (from the ledger) and spent (expenditures) for a project.

    Two aggregate queries whatever the number of donations (indexed on
    ``entry(account, amount)`` and ``expenditure(project, amount)``).
    """
    project_entries = Q(account__project=project, account__kind=AccountKind.PROJECT)
    sums = Entry.objects.filter(project_entries).aggregate(
        raised=Sum("amount", filter=Q(transaction__kind__in=RAISED)),
        matched=Sum("amount", filter=Q(transaction__kind__in=MATCHED)),
        disbursed=Sum("amount", filter=Q(transaction__kind=TransactionKind.DISBURSEMENT)),
    )
    spent = Expenditure.objects.filter(project=project).aggregate(t=Sum("amount"))["t"]
    return ProjectMoney(
        raised=sums["raised"] or 0, matched=sums["matched"] or 0,
        disbursed=-(sums["disbursed"] or 0), spent=spent or 0, currency=project.currency,
    )


def organization_money(organization) -> ProjectMoney:
    """Funds an organization's projects received: the sums of :func:`project_money` over
    all its projects, in the same two aggregate queries."""
    entries = Q(account__project__organization=organization, account__kind=AccountKind.PROJECT)
    sums = Entry.objects.filter(entries).aggregate(
        raised=Sum("amount", filter=Q(transaction__kind__in=RAISED)),
        matched=Sum("amount", filter=Q(transaction__kind__in=MATCHED)),
        disbursed=Sum("amount", filter=Q(transaction__kind=TransactionKind.DISBURSEMENT)),
    )
    spent = Expenditure.objects.filter(project__organization=organization).aggregate(
        t=Sum("amount")
    )["t"]
    return ProjectMoney(
        raised=sums["raised"] or 0, matched=sums["matched"] or 0,
        disbursed=-(sums["disbursed"] or 0), spent=spent or 0,
        currency=settings.DEFAULT_CURRENCY,
    )


def public_donations(project, *, limit: int = 20):
    """The latest counted gifts for the public ledger (names/amounts masked by the view)."""
    return (
        Donation.objects.filter(project=project, status=DonationStatus.SUCCEEDED, flagged=False)
        .only("amount", "currency", "refunded_amount", "anonymity", "donor_name", "source",
              "received_at", "message", "dedication", "project_id")
        .order_by("-received_at", "-pk")[:limit]
    )


def settlement_results(call):
    """The committed settlement of a call (or None) with its lines, in two queries."""
    from .models import Settlement

    settlement = Settlement.objects.filter(call=call).first()
    if settlement is None:
        return None
    settlement.rows = list(settlement.lines.select_related("project", "pool__sponsor")
                           .order_by("project__title", "pool__priority"))
    return settlement
