"""Ledger invariants, checked by ``manage.py reconcile``."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from ..enums import (
    DISBURSED_KINDS,
    MATCH_KINDS,
    RAISED_KINDS,
    AccountKind,
    DisbursementStatus,
    ReservationStatus,
    TransactionKind,
)
from ..models import (
    Account,
    Disbursement,
    Donation,
    Entry,
    Expenditure,
    LedgerTransaction,
    MatchReservation,
    ProjectBalance,
    SettlementLine,
)

UNREPORTED_REFUND_AFTER = timedelta(days=1)

__all__ = ["DISBURSED_KINDS", "MATCH_KINDS", "RAISED_KINDS", "ReconcileReport", "reconcile"]


@dataclass
class ReconcileReport:
    problems: list[str] = field(default_factory=list)
    summary: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def reconcile(*, now: datetime | None = None) -> ReconcileReport:
    """Check every ledger invariant. Reads only; a constant number of queries.

    1. every transaction has ≥ 2 legs that sum to zero, all in its currency;
    2. no pool (available or reserved) account is below zero;
    3. each pool's reserved balance equals its HELD reservations;
    4. each pool's net match granted (ledger) equals confirmed reservations minus
       reversals plus settlement lines (models);
    5. each project's raised / matched / disbursed in the ledger equal the donation,
       reservation, settlement and disbursement records;
    6. each counted donation has exactly one DONATION transaction of its amount, and no
       other donation has one;
    7. each project's ``ProjectBalance`` (raised / matched / disbursed / spent) equals the
       sums of its entries and expenditures (a missing row counts as zeros);
    8–10. per gift, per payment and per entry owner: see the helpers below;
    12. each pool's ``PoolBalance`` (available / reserved / granted) equals the sums of
        its entries (a missing row counts as zeros);
    13. each ``MatchCapUsage`` row equals the live reservations it counts;
    14. no refund asked of a provider has been without a final answer for more than
        ``UNREPORTED_REFUND_AFTER`` (a day): finance must look at it;
    15. leftover money moved on the ledger equals the approved leftover transfers.
    """
    report = ReconcileReport()
    p = report.problems

    bad = (
        LedgerTransaction.objects.annotate(
            legs=Count("entries"),
            total=Sum("entries__amount"),
            foreign=Count("entries", filter=~Q(entries__currency=F("currency"))),
        )
        .filter(Q(legs__lt=2) | ~Q(total=0) | Q(foreign__gt=0))
        .values_list("pk", "legs", "total")
    )
    for pk, legs, total in bad:
        p.append(f"transaction {pk} is unbalanced: {legs} legs, sum {total}")

    acct_bal = dict(
        Entry.objects.values("account_id").annotate(t=Sum("amount")).values_list("account_id", "t")
    )
    pool_accts = Account.objects.filter(kind__in=[AccountKind.POOL, AccountKind.POOL_RESERVED])
    held = dict(
        MatchReservation.objects.filter(status=ReservationStatus.HELD)
        .values("pool_id")
        .annotate(t=Sum("amount"))
        .values_list("pool_id", "t")
    )
    for acc in pool_accts:
        bal = acct_bal.get(acc.pk, 0)
        if bal < 0:
            p.append(f"pool account {acc.key} is below zero: {bal}")
        if acc.kind == AccountKind.POOL_RESERVED and bal != held.get(acc.pool_id, 0):
            p.append(
                f"pool {acc.pool_id} reserved balance {bal} != held reservations "
                f"{held.get(acc.pool_id, 0)}"
            )

    ledger_pool_match = dict(
        Entry.objects.filter(
            transaction__kind__in=MATCH_KINDS,
            account__kind__in=[AccountKind.PROJECT, AccountKind.GENERAL],
        )
        .values("transaction__pool_id")
        .annotate(t=Sum("amount"))
        .values_list("transaction__pool_id", "t")
    )
    model_pool_match: dict = defaultdict(int)
    for pool_id, t in (
        MatchReservation.objects.filter(status=ReservationStatus.CONFIRMED)
        .values("pool_id")
        .annotate(t=Sum(F("amount") - F("reversed_amount")))
        .values_list("pool_id", "t")
    ):
        model_pool_match[pool_id] += t
    for pool_id, t in (
        SettlementLine.objects.values("pool_id")
        .annotate(t=Sum("amount"))
        .values_list("pool_id", "t")
    ):
        model_pool_match[pool_id] += t
    for pool_id in set(ledger_pool_match) | set(model_pool_match):
        a, b = ledger_pool_match.get(pool_id, 0), model_pool_match.get(pool_id, 0)
        if a != b:
            p.append(f"pool {pool_id} match granted in ledger {a} != records {b}")

    def by_project(kinds):
        return dict(
            Entry.objects.filter(transaction__kind__in=kinds, account__kind=AccountKind.PROJECT)
            .values("account__project_id")
            .annotate(t=Sum("amount"))
            .values_list("account__project_id", "t")
        )

    ledger_raised = by_project(RAISED_KINDS)
    ledger_matched = by_project(MATCH_KINDS)
    ledger_disbursed = by_project(DISBURSED_KINDS)
    model_raised = dict(
        Donation.objects.counted()
        .filter(project__isnull=False)
        .values("project_id")
        .annotate(t=Sum(F("amount") - F("refunded_amount")))
        .values_list("project_id", "t")
    )
    model_matched: dict = defaultdict(int)
    for pid, t in (
        MatchReservation.objects.filter(status=ReservationStatus.CONFIRMED)
        .values("donation__project_id")
        .annotate(t=Sum(F("amount") - F("reversed_amount")))
        .values_list("donation__project_id", "t")
    ):
        model_matched[pid] += t
    for pid, t in (
        SettlementLine.objects.values("project_id")
        .annotate(t=Sum("amount"))
        .values_list("project_id", "t")
    ):
        model_matched[pid] += t
    model_disbursed = dict(
        Disbursement.objects.filter(status=DisbursementStatus.APPROVED)
        .values("project_id")
        .annotate(t=Sum("amount"))
        .values_list("project_id", "t")
    )
    for label, ledger, model, sign in (
        ("raised", ledger_raised, model_raised, 1),
        ("matched", ledger_matched, model_matched, 1),
        ("disbursed", ledger_disbursed, model_disbursed, -1),
    ):
        for pid in set(ledger) | set(model):
            a, b = sign * ledger.get(pid, 0), model.get(pid, 0)
            if a != b:
                p.append(f"project {pid} {label} in ledger {a} != records {b}")

    ledger_spent = dict(
        Expenditure.objects.values("project_id")
        .annotate(t=Sum("amount"))
        .values_list("project_id", "t")
    )
    stored = {
        row["pk"]: row
        for row in ProjectBalance.objects.values("pk", "raised", "matched", "disbursed", "spent")
    }
    for pid in sorted(
        set(stored)
        | set(ledger_raised)
        | set(ledger_matched)
        | set(ledger_disbursed)
        | set(ledger_spent)
    ):
        row = stored.get(pid, {})
        for label, value in (
            ("raised", ledger_raised.get(pid, 0)),
            ("matched", ledger_matched.get(pid, 0)),
            ("disbursed", -ledger_disbursed.get(pid, 0)),
            ("spent", ledger_spent.get(pid, 0)),
        ):
            if row.get(label, 0) != value:
                p.append(f"project {pid} balance {label} {row.get(label, 0)} != entries {value}")

    moved = _check_leftover(p)
    _check_spending(
        p,
        funds={
            pid: (
                ledger_raised.get(pid, 0) + ledger_matched.get(pid, 0) + moved.get(pid, (0, 0))[0],
                -ledger_disbursed.get(pid, 0),
                ledger_spent.get(pid, 0) + moved.get(pid, (0, 0))[1],
            )
            for pid in set(ledger_raised) | set(ledger_disbursed) | set(ledger_spent) | set(moved)
        },
    )

    posted = dict(
        LedgerTransaction.objects.filter(kind=TransactionKind.DONATION)
        .values("donation_id")
        .annotate(n=Count("pk"))
        .values_list("donation_id", "n")
    )
    posted_amount = dict(
        Entry.objects.filter(transaction__kind=TransactionKind.DONATION, amount__gt=0)
        .values("transaction__donation_id")
        .annotate(t=Sum("amount"))
        .values_list("transaction__donation_id", "t")
    )
    counted = dict(Donation.objects.counted().values_list("pk", "amount"))
    for pk, amount in counted.items():
        if posted.get(pk, 0) != 1:
            p.append(f"donation {pk} has {posted.get(pk, 0)} ledger postings, expected 1")
        elif posted_amount.get(pk) != amount:
            p.append(f"donation {pk} posted {posted_amount.get(pk)} != amount {amount}")
    for pk in set(posted) - set(counted):
        p.append(f"donation {pk} is not counted but has a ledger posting")
    _check_gift_nets(
        p,
        counted_net=dict(
            Donation.objects.counted()
            .annotate(net=F("amount") - F("refunded_amount"))
            .values_list("pk", "net")
        ),
    )
    _check_one_gift_per_payment(p)
    _check_entry_owners(p)
    pool_rows = _check_pool_balances(p)
    _check_cap_usage(p)
    _check_unreported_refunds(p, now=now)

    report.summary = {
        "transactions": LedgerTransaction.objects.count(),
        "entries": Entry.objects.count(),
        "accounts": Account.objects.count(),
        "counted donations": len(counted),
        "pools": len({a.pool_id for a in pool_accts}),
        "projects with money": len(set(ledger_raised) | set(ledger_matched)),
        "project balances": len(stored),
        "pool balances": pool_rows,
        "counted donations by source": dict(
            Donation.objects.counted()
            .values("source")
            .annotate(n=Count("pk"))
            .order_by("source")
            .values_list("source", "n")
        ),
        "second payments awaiting refund": Donation.objects.filter(
            duplicate_of__isnull=False, flagged=True, refunded_amount__lt=F("amount")
        ).count(),
    }
    return report


def _check_gift_nets(p: list[str], *, counted_net: dict[int, int]) -> None:
    """8. each gift's money on the fund accounts (gift − refund reversals) equals what
    it counts for: amount − refunded for a counted gift, 0 for any other (a refund that
    reversed the wrong gift, or a flagged gift cleared without its refunds, shows here)."""
    ledger_net = dict(
        Entry.objects.filter(
            transaction__kind__in=RAISED_KINDS,
            account__kind__in=[AccountKind.PROJECT, AccountKind.GENERAL],
            transaction__donation__isnull=False,
        )
        .values("transaction__donation_id")
        .annotate(t=Sum("amount"))
        .values_list("transaction__donation_id", "t")
    )
    for pk in sorted(set(ledger_net) | set(counted_net)):
        a, b = ledger_net.get(pk, 0), counted_net.get(pk, 0)
        if a != b:
            p.append(f"donation {pk} net in ledger {a} != counted {b}")


def _check_one_gift_per_payment(p: list[str]) -> None:
    """9. no provider payment (session or payment intent) belongs to two gifts, and a
    recorded second payment is never counted."""
    for field_name in ("payment_intent", "external_id"):
        shared = (
            Donation.objects.exclude(**{field_name: ""})
            .filter(import_source="")
            .values("source", field_name)
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
            .values_list("source", field_name, "n")
        )
        for source, ref, n in shared:
            p.append(f"{source} payment {ref} is on {n} gifts")
    for pk in (
        Donation.objects.counted().filter(duplicate_of__isnull=False).values_list("pk", flat=True)
    ):
        p.append(f"donation {pk} is a second payment but counts")


def _check_entry_owners(p: list[str]) -> None:
    """10. every entry sits on an account of its transaction's owner: a pool account
    only in a transaction of that pool, a project fund only in a transaction whose gift
    is that project's (the general fund: a gift without project). An entry moved to
    another pool's or project's account inside a balanced transaction shows here."""
    pool_moved = (
        Entry.objects.filter(account__pool__isnull=False)
        .filter(Q(transaction__pool__isnull=True) | ~Q(transaction__pool=F("account__pool")))
        .values_list("pk", "transaction_id", "account__key")
    )
    for pk, txn, key in pool_moved:
        p.append(f"entry {pk} of transaction {txn} is on {key}, not its transaction's pool")
    project_moved = (
        Entry.objects.filter(account__kind=AccountKind.PROJECT, transaction__donation__isnull=False)
        .filter(
            Q(transaction__donation__project__isnull=True)
            | ~Q(transaction__donation__project=F("account__project"))
        )
        .values_list("pk", "transaction_id", "account__key")
    )
    general_moved = Entry.objects.filter(
        account__kind=AccountKind.GENERAL, transaction__donation__project__isnull=False
    ).values_list("pk", "transaction_id", "account__key")
    for pk, txn, key in [*project_moved, *general_moved]:
        p.append(f"entry {pk} of transaction {txn} is on {key}, not its gift's project")


def _check_spending(p: list[str], *, funds: dict[int, tuple[int, int, int]]) -> None:
    """11. per project: spent (plus unspent money returned as leftover) ≤ disbursed, and
    disbursed ≤ raised + matched + leftover moved in or out unless the difference (money
    refunded after it was paid out) is recorded as claw-backs."""
    from ..enums import ClawBackKind
    from ..models import ClawBack

    owed = dict(
        ClawBack.objects.filter(kind=ClawBackKind.FUND_SHORTFALL)
        .values("project_id")
        .annotate(t=Sum("amount"))
        .values_list("project_id", "t")
    )
    for pid in sorted(funds):
        available, disbursed, spent = funds[pid]
        if spent > disbursed:
            p.append(f"project {pid} spent (and returned) {spent} > disbursed {disbursed}")
        below = disbursed - available
        if below > owed.get(pid, 0):
            p.append(
                f"project {pid} disbursed {disbursed} > raised+matched {available} "
                f"with {owed.get(pid, 0)} in claw-backs"
            )


def _check_leftover(p: list[str]) -> dict[int, tuple[int, int]]:
    """15. the ledger's ``leftover`` entries equal the approved leftover transfers, per
    account (source fund, source disbursed account, pool, general fund, regrant
    target), and each approved transfer has exactly one ``leftover`` transaction.
    Returns ``{project id: (net leftover moved on its fund, unspent it returned)}``
    for check 11."""
    from ..enums import LeftoverDestination
    from ..models import LeftoverTransfer

    approved = list(
        LeftoverTransfer.objects.filter(status=DisbursementStatus.APPROVED).values_list(
            "pk",
            "project_id",
            "undisbursed",
            "unspent",
            "currency",
            "destination",
            "pool_id",
            "target_project_id",
        )
    )
    expected: dict[str, int] = defaultdict(int)
    moved: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for _pk, pid, undisbursed, unspent, cur, destination, pool_id, target_id in approved:
        expected[f"project:{pid}:{cur}"] -= undisbursed
        expected[f"disbursed:{pid}:{cur}"] -= unspent
        moved[pid][0] -= undisbursed
        moved[pid][1] += unspent
        if destination == LeftoverDestination.POOL:
            expected[f"pool:{pool_id}"] += undisbursed + unspent
        elif destination == LeftoverDestination.PROJECT:
            expected[f"project:{target_id}:{cur}"] += undisbursed + unspent
            moved[target_id][0] += undisbursed + unspent
        else:
            expected[f"general:{cur}"] += undisbursed + unspent
    ledger = dict(
        Entry.objects.filter(transaction__kind=TransactionKind.LEFTOVER)
        .values("account__key")
        .annotate(t=Sum("amount"))
        .values_list("account__key", "t")
    )
    for key in sorted(set(ledger) | {k for k, v in expected.items() if v}):
        if ledger.get(key, 0) != expected.get(key, 0):
            p.append(
                f"leftover on {key} in ledger {ledger.get(key, 0)} != approved transfers "
                f"{expected.get(key, 0)}"
            )
    keys = set(
        LedgerTransaction.objects.filter(kind=TransactionKind.LEFTOVER).values_list(
            "idempotency_key", flat=True
        )
    )
    wanted = {f"leftover:{row[0]}" for row in approved}
    for key in sorted(keys ^ wanted):
        p.append(f"leftover transaction {key} without its approved transfer (or the reverse)")
    return {pid: (v[0], v[1]) for pid, v in moved.items()}


def _check_pool_balances(p: list[str]) -> int:
    """12. the running pool balances the hot path reads equal the ledger."""
    from ..models import PoolBalance
    from .balances import POOL_FIELDS, computed_pool_balances

    computed = computed_pool_balances()
    stored = {row.pop("pk"): row for row in PoolBalance.objects.values("pk", *POOL_FIELDS)}
    zero = dict.fromkeys(POOL_FIELDS, 0)
    for pool_id in sorted(set(stored) | set(computed)):
        row, want = stored.get(pool_id, zero), computed.get(pool_id, zero)
        for name in POOL_FIELDS:
            if row[name] != want[name]:
                p.append(f"pool {pool_id} balance {name} {row[name]} != entries {want[name]}")
    return len(stored)


def _check_cap_usage(p: list[str]) -> None:
    """13. the caps' usage rows equal the live reservations they count."""
    from ..models import MatchCapUsage
    from .caps import computed_usage

    computed = computed_usage()
    stored = dict(MatchCapUsage.objects.values_list("key", "used"))
    for key in sorted(set(stored) | set(computed)):
        if stored.get(key, 0) != computed.get(key, 0):
            p.append(
                f"match cap usage {key} {stored.get(key, 0)} != reservations {computed.get(key, 0)}"
            )


def _check_unreported_refunds(p: list[str], *, now: datetime | None) -> None:
    """14. refund requests without a final answer for more than a day."""
    from ..enums import RefundRequestStatus
    from ..models import RefundRequest

    cutoff = (now or timezone.now()) - UNREPORTED_REFUND_AFTER
    for number, gift, amount, created in (
        RefundRequest.objects.filter(status=RefundRequestStatus.REQUESTED, created_at__lt=cutoff)
        .order_by("pk")
        .values_list("out_refund_no", "donation_id", "amount", "created_at")
    ):
        p.append(
            f"refund request {number} of gift {gift} ({amount} fen, asked "
            f"{created:%Y-%m-%d %H:%M}) has had no provider answer for more than a day"
        )
