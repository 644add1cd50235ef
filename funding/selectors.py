"""Read-side queries for public figures and lists."""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import F, Sum
from wagtail import hooks

from .enums import MATCH_KINDS, RAISED_KINDS, DonationStatus
from .models import Donation, ProjectBalance

RAISED = RAISED_KINDS
MATCHED = MATCH_KINDS

#: Wagtail hook: functions ``provider(project) -> int``, spending (fen) recorded for the
#: project that is still awaiting review (e.g. the delivery app: expenditures of progress
#: reports not yet accepted). Registered by another app; funding imports none.
PENDING_SPENDING = "funding_pending_spending"

#: Wagtail hook: functions ``provider(project) -> list[tuple[label, value]]``, facts
#: another app adds to the tranche approval page (e.g. delivery: budget, agreement
#: signed on, stage).
DISBURSEMENT_FACTS = "funding_disbursement_facts"


def disbursement_context(disbursement) -> dict:
    """What a finance officer needs before approving a tranche: the project fund's
    balance, the project's public figures, its other tranches, every hold that would
    refuse it now, and the facts other apps register (budget, agreement). Reads only."""
    from .enums import DisbursementStatus
    from .models import Disbursement
    from .services.ledger import balance, project_account
    from .services.spending import disbursement_holds

    project = disbursement.project
    money = project_money(project)
    tranches = list(
        Disbursement.objects.filter(project=project)
        .exclude(pk=disbursement.pk)
        .select_related("recorded_by", "approved_by")
        .order_by("tranche")
    )
    facts = []
    for provider in hooks.get_hooks(DISBURSEMENT_FACTS):
        facts += provider(project)
    return {
        "fund_balance": balance(project_account(project, disbursement.currency)),
        "money": money,
        "tranches": tranches,
        "awaiting_others": sum(
            t.amount for t in tranches if t.status == DisbursementStatus.RECORDED
        ),
        "holds": disbursement_holds(project, disbursement.amount),
        "facts": facts,
    }


def pending_spending(project) -> int:
    """Recorded spending of ``project`` not reviewed yet: the sum of every registered
    provider's answer (0 without providers). The public shows it apart from *spent*."""
    return sum(provider(project) for provider in hooks.get_hooks(PENDING_SPENDING))


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
    proves nothing, so it never reveals a gift. Newest first, with the project and the
    receipt loaded and ``match_received`` (fen of match granted to the gift) annotated:
    one query whatever the number of gifts (plus one for the verified addresses)."""
    from django.db.models import IntegerField, OuterRef, Q, Subquery, Value
    from django.db.models.functions import Coalesce

    from organizations.rules import verified_emails

    from .enums import ReservationStatus
    from .models import MatchReservation

    if not (user and user.is_authenticated):
        return Donation.objects.none()
    query = Q(user=user)
    for email in verified_emails(user):
        query |= Q(user__isnull=True, donor_email__iexact=email)
    matched = (
        MatchReservation.objects.filter(donation=OuterRef("pk"), status=ReservationStatus.CONFIRMED)
        .order_by()
        .values("donation")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return (
        Donation.objects.filter(query)
        .select_related("project", "receipt")
        .annotate(match_received=Coalesce(Subquery(matched, output_field=IntegerField()), Value(0)))
        .order_by("-created_at", "-pk")
    )
