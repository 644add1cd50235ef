"""``ProjectBalance`` maintenance: the denormalised raised / matched / disbursed / spent.

Every ledger posting that touches a project fund account calls :func:`apply_deltas` from
inside :func:`funding.services.ledger.post_transaction`, i.e. in the same database
transaction as the entries; an expenditure does the same for ``spent``. The update is an
atomic ``UPDATE … SET raised = raised + %s`` (an upsert when the row does not exist yet),
so concurrent postings to one project serialise on its balance row and never lose an
increment. :func:`rebuild_balances` recomputes rows from the entries (backfill, bulk demo
data); ``reconcile`` proves balance == entries for every project.
"""

from collections import defaultdict
from collections.abc import Iterable

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Sum
from django.utils import timezone

from projects.models import Project

from ..enums import DISBURSED_KINDS, MATCH_KINDS, RAISED_KINDS, AccountKind
from ..models import Entry, Expenditure, ProjectBalance

FIELDS = ("raised", "matched", "disbursed", "spent")
# transaction kind → (balance field, sign applied to the project-fund entry)
FIELD_OF_KIND: dict[str, tuple[str, int]] = {
    **{str(k): ("raised", 1) for k in RAISED_KINDS},
    **{str(k): ("matched", 1) for k in MATCH_KINDS},
    **{str(k): ("disbursed", -1) for k in DISBURSED_KINDS},
}


def posting_deltas(kind: str, lines: Iterable[tuple]) -> dict[int, dict[str, int]]:
    """``{project_id: {field: delta}}`` for one transaction's ``(account, amount)`` legs."""
    target = FIELD_OF_KIND.get(str(kind))
    if target is None:
        return {}
    name, sign = target
    deltas: dict[int, dict[str, int]] = {}
    for account, amount in lines:
        if account.kind != AccountKind.PROJECT or account.project_id is None:
            continue
        row = deltas.setdefault(account.project_id, {})
        row[name] = row.get(name, 0) + sign * int(amount)
    return deltas


def apply_deltas(deltas: dict[int, dict[str, int]], currency: str) -> None:
    """Add ``deltas`` to the projects' balance rows, creating missing rows.

    Must run inside the caller's transaction (it does, from ``post_transaction`` and
    ``record_expenditure``). Rows are touched in project-id order. The database refuses a
    negative total (check constraint), which rolls the whole posting back.
    """
    now = timezone.now()
    _key_share_projects(sorted(deltas))
    for project_id in sorted(deltas):
        values = {k: v for k, v in deltas[project_id].items() if v}
        if not values:
            continue
        changes = {k: F(k) + v for k, v in values.items()}
        if ProjectBalance.objects.filter(pk=project_id).update(**changes, updated_at=now):
            continue
        try:
            with transaction.atomic():
                ProjectBalance.objects.create(
                    project_id=project_id, currency=currency, updated_at=now, **values
                )
        except IntegrityError:
            # Another transaction created the row first (PostgreSQL waited for it to
            # commit): add to it. A check-constraint violation raises again here.
            if not ProjectBalance.objects.filter(pk=project_id).update(**changes, updated_at=now):
                raise


def _key_share_projects(project_ids: list[int]) -> None:
    """PostgreSQL: take ``FOR KEY SHARE`` on the project rows *before* the balance rows.

    Foreign keys are checked at COMMIT (deferred), so a first balance insert would take
    this lock only then, after holding the balance row — while live matching holds the
    project row ``FOR UPDATE`` and then wants the balance row: a deadlock. Taking it first
    keeps one order everywhere: project row → pools → balance row.
    """
    if connection.vendor != "postgresql" or not project_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM projects_project WHERE id = ANY(%s) ORDER BY id FOR KEY SHARE",
            [project_ids],
        )


def computed_balances(project_ids: Iterable[int] | None = None) -> dict[int, dict[str, int]]:
    """Balances recomputed from the ledger entries and expenditures (two queries)."""
    entries = Entry.objects.filter(
        account__kind=AccountKind.PROJECT,
        account__project__isnull=False,
        transaction__kind__in=list(FIELD_OF_KIND),
    )
    spent = Expenditure.objects.all()
    if project_ids is not None:
        project_ids = list(project_ids)
        entries = entries.filter(account__project_id__in=project_ids)
        spent = spent.filter(project_id__in=project_ids)
    result: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIELDS, 0))
    rows = (
        entries.values_list("account__project_id", "transaction__kind")
        .annotate(t=Sum("amount"))
        .order_by()
    )
    for project_id, kind, total in rows:
        name, sign = FIELD_OF_KIND[kind]
        result[project_id][name] += sign * int(total or 0)
    for project_id, total in spent.values_list("project_id").annotate(t=Sum("amount")).order_by():
        result[project_id]["spent"] += int(total or 0)
    return dict(result)


@transaction.atomic
def rebuild_balances(project_ids: Iterable[int] | None = None) -> int:
    """Set balance rows to the sums of the entries (all projects, or ``project_ids``).

    For data written in bulk outside ``post_transaction`` (``seed_demo --size large``) and
    for repairs. Rows of projects without money are set to zero, not deleted. Returns the
    number of rows written. Locks the existing rows first (PostgreSQL).
    """
    computed = computed_balances(project_ids)
    existing = ProjectBalance.objects.select_for_update()
    if project_ids is not None:
        existing = existing.filter(pk__in=list(project_ids))
    ids = set(computed) | set(existing.values_list("pk", flat=True))
    currency = dict(Project.objects.filter(pk__in=list(ids)).values_list("pk", "currency"))
    now = timezone.now()
    zero = dict.fromkeys(FIELDS, 0)
    rows = [
        ProjectBalance(
            project_id=pid,
            currency=currency.get(pid, "CNY"),
            updated_at=now,
            **computed.get(pid, zero),
        )
        for pid in sorted(ids)
    ]
    ProjectBalance.objects.bulk_create(
        rows,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["project"],
        update_fields=[*FIELDS, "currency", "updated_at"],
    )
    return len(rows)
