"""Read-side queries for public figures and lists."""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import F, Sum

from .enums import MATCH_KINDS, RAISED_KINDS, DonationStatus
from .models import Donation, ProjectBalance

RAISED = RAISED_KINDS
MATCHED = MATCH_KINDS


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
    """Raised, matched, disbursed and spent for a project: its ``ProjectBalance`` row.

    One primary-key query whatever the number of donations (zeros when the project never
    had money). ``reconcile`` proves the row equals the ledger entries.
    """
    row = (
        ProjectBalance.objects.filter(pk=project.pk)
        .values("raised", "matched", "disbursed", "spent")
        .first()
    ) or {}
    return ProjectMoney(
        raised=row.get("raised", 0),
        matched=row.get("matched", 0),
        disbursed=row.get("disbursed", 0),
        spent=row.get("spent", 0),
        currency=project.currency,
    )


def organization_money(organization) -> ProjectMoney:
    """Funds an organization's projects received: the sums of their ``ProjectBalance``
    rows, one aggregate query."""
    sums = ProjectBalance.objects.filter(project__organization=organization).aggregate(
        raised=Sum("raised"),
        matched=Sum("matched"),
        disbursed=Sum("disbursed"),
        spent=Sum("spent"),
    )
    return ProjectMoney(
        raised=sums["raised"] or 0,
        matched=sums["matched"] or 0,
        disbursed=sums["disbursed"] or 0,
        spent=sums["spent"] or 0,
        currency=settings.DEFAULT_CURRENCY,
    )


def public_donations(project, *, limit: int = 20):
    """The latest counted gifts for the public ledger (names/amounts masked by the view)."""
    return (
        Donation.objects.filter(project=project, status=DonationStatus.SUCCEEDED, flagged=False)
        .only(
            "amount",
            "currency",
            "refunded_amount",
            "anonymity",
            "donor_name",
            "source",
            "received_at",
            "message",
            "dedication",
            "project_id",
        )
        .order_by("-received_at", "-pk")[:limit]
    )


def settlement_results(call):
    """The committed settlement of a call (or None) with its lines, in two queries."""
    from .models import Settlement

    settlement = Settlement.objects.filter(call=call).first()
    if settlement is None:
        return None
    settlement.rows = list(
        settlement.lines.select_related("project", "pool__sponsor").order_by(
            F("rank").asc(nulls_last=True), "project__title", "pool__priority"
        )
    )
    settlement.has_ranks = any(line.rank for line in settlement.rows)
    return settlement


def donations_of(user):
    """The signed-in user's gifts: those made under their account, and guest gifts given
    under one of their *verified* e-mail addresses (allauth). An unverified address
    proves nothing, so it never reveals a gift. Newest first, projects loaded."""
    from django.db.models import Q

    from organizations.rules import verified_emails

    if not (user and user.is_authenticated):
        return Donation.objects.none()
    query = Q(user=user)
    for email in verified_emails(user):
        query |= Q(user__isnull=True, donor_email__iexact=email)
    return (
        Donation.objects.filter(query)
        .select_related("project", "receipt")
        .order_by("-created_at", "-pk")
    )
