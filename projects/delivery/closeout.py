"""Call close-out (征集结项汇总): per project of a call, what was raised, matched,
disbursed and spent, what is left and what was moved on, with totals that are the sums
of the rows (read from the same balance rows and ledger entries ``reconcile`` proves).

A project that was terminated is listed as terminated, never as funded, whatever its
tier in the ranking.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, Sum


@dataclass
class CloseoutRow:
    project: object
    status: str
    raised: int = 0
    matched: int = 0
    disbursed: int = 0
    spent: int = 0
    undisbursed: int = 0
    unspent: int = 0
    moved: int = 0

    @property
    def leftover(self) -> int:
        """Still left: never disbursed plus disbursed and not spent."""
        return self.undisbursed + self.unspent


FIGURES = ("raised", "matched", "disbursed", "spent", "undisbursed", "unspent", "moved")


@dataclass
class Closeout:
    call: object
    rows: list[CloseoutRow]
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def leftover_total(self) -> int:
        return self.totals["undisbursed"] + self.totals["unspent"]


def _status_label(project) -> str:
    from projects.enums import ProjectStatus, ProjectTier

    if project.status in (ProjectStatus.TERMINATED, ProjectStatus.COMPLETED):
        return project.get_status_display()
    if project.tier == ProjectTier.FUNDED_MATCHED:
        return f"{project.get_status_display()} · {project.get_tier_display()}"
    return project.get_status_display()


def call_closeout(call) -> Closeout:
    """The close-out of ``call`` (and its translations): one row per project of the
    call, ordered by title, and the totals. Four queries whatever the number of
    projects."""
    from funding.enums import AccountKind, DisbursementStatus
    from funding.models import Entry, LeftoverTransfer, ProjectBalance
    from projects.models import Project

    projects = list(
        Project.objects.filter(Q(call=call) | Q(call__translation_key=call.translation_key))
        .select_related("organization", "delivery")
        .order_by("title", "pk")
    )
    ids = [p.pk for p in projects]
    balances = {
        row["pk"]: row
        for row in ProjectBalance.objects.filter(pk__in=ids).values(
            "pk", "raised", "matched", "disbursed", "spent"
        )
    }
    funds = dict(
        Entry.objects.filter(account__kind=AccountKind.PROJECT, account__project_id__in=ids)
        .values("account__project_id")
        .annotate(t=Sum("amount"))
        .values_list("account__project_id", "t")
    )
    moved = {
        row["project_id"]: row
        for row in LeftoverTransfer.objects.filter(
            project_id__in=ids, status=DisbursementStatus.APPROVED
        )
        .values("project_id")
        .annotate(undisbursed=Sum("undisbursed"), unspent=Sum("unspent"))
    }
    rows = []
    for project in projects:
        money = balances.get(project.pk, {})
        out = moved.get(project.pk, {})
        returned = out.get("unspent") or 0
        disbursed, spent = money.get("disbursed", 0), money.get("spent", 0)
        rows.append(
            CloseoutRow(
                project=project,
                status=_status_label(project),
                raised=money.get("raised", 0),
                matched=money.get("matched", 0),
                disbursed=disbursed,
                spent=spent,
                undisbursed=max(funds.get(project.pk, 0) or 0, 0),
                unspent=max(disbursed - spent - returned, 0),
                moved=returned + (out.get("undisbursed") or 0),
            )
        )
    totals = {name: sum(getattr(row, name) for row in rows) for name in FIGURES}
    return Closeout(call=call, rows=rows, totals=totals)
