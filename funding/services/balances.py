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
from ..errors import PoolOverdrawn
from ..models import Entry, Expenditure, MatchPool, PoolBalance, ProjectBalance

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


def apply_deltas(
    deltas: dict[int, dict[str, int]], currency: str, *, key_shared: bool = False
) -> None:
    """Add ``deltas`` to the projects' balance rows, creating missing rows.

    Must run inside the caller's transaction (it does, from ``post_transaction`` and
    ``record_expenditure``). Rows are touched in project-id order. The database refuses a
    negative total (check constraint), which rolls the whole posting back.
    """
    now = timezone.now()
    if not key_shared:
        key_share_projects(sorted(deltas))
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


def key_share_projects(project_ids: list[int]) -> None:
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


# --- pool balances -------------------------------------------------------------------

POOL_FIELDS = ("available", "reserved", "granted")
POOL_FIELD_OF_ACCOUNT = {AccountKind.POOL: "available", AccountKind.POOL_RESERVED: "reserved"}
GRANTED_ACCOUNT_KINDS = (AccountKind.PROJECT, AccountKind.GENERAL)


def pool_posting_deltas(kind: str, pool_id: int | None, lines: Iterable[tuple]) -> dict:
    """``{pool_id: {field: delta}}`` for one transaction's ``(account, amount)`` legs:
    legs on pool accounts move ``available`` / ``reserved``; in a match transaction of
    ``pool_id`` the legs on project or general funds move ``granted``."""
    deltas: dict[int, dict[str, int]] = {}
    is_match = str(kind) in {str(k) for k in MATCH_KINDS}
    for account, amount in lines:
        name = POOL_FIELD_OF_ACCOUNT.get(account.kind)
        if name is not None and account.pool_id is not None:
            row = deltas.setdefault(account.pool_id, {})
            row[name] = row.get(name, 0) + int(amount)
        elif is_match and pool_id is not None and account.kind in GRANTED_ACCOUNT_KINDS:
            row = deltas.setdefault(pool_id, {})
            row["granted"] = row.get("granted", 0) + int(amount)
    return deltas


def apply_pool_deltas(deltas: dict[int, dict[str, int]]) -> None:
    """Add ``deltas`` to the pools' balance rows, in pool-id order, each with one
    conditional ``UPDATE … SET available = available + d WHERE available >= -d``.

    The condition, not a lock held while reading, is what keeps a pool from going
    below zero: an update that would is refused (no row matched) and
    ``PoolOverdrawn`` rolls the whole posting back; the check constraint
    ``funding_pool_balance_not_negative`` refuses it again. A pool's first posting
    creates its row (only positive amounts can create one). Call inside the posting's
    transaction.
    """
    now = timezone.now()
    for pool_id in sorted(deltas):
        values = {k: v for k, v in deltas[pool_id].items() if v}
        if not values:
            continue
        guard = {f"{k}__gte": -v for k, v in values.items() if v < 0}
        changes = {k: F(k) + v for k, v in values.items()}
        rows = PoolBalance.objects.filter(pk=pool_id, **guard)
        if rows.update(**changes, updated_at=now):
            continue
        if PoolBalance.objects.filter(pk=pool_id).exists() or any(v < 0 for v in values.values()):
            raise PoolOverdrawn(f"pool {pool_id} balance cannot take {values}")
        try:
            with transaction.atomic():
                PoolBalance.objects.create(pool_id=pool_id, updated_at=now, **values)
        except IntegrityError:
            # Created concurrently (PostgreSQL waited for that commit): add to it.
            if not PoolBalance.objects.filter(pk=pool_id).update(**changes, updated_at=now):
                raise


def pool_balances(pool_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """The balance rows of these pools in one indexed query (zeros for a pool without
    one). Reads the stored running totals, never the entries. Inside an inbox batch
    that collects postings: the rows as the batch first read them plus its pending
    changes (see ``funding.services.batching``)."""
    from . import batching

    batch = batching.current()
    if batch is not None:
        return batch.pool_balances(list(pool_ids))
    return read_pool_balances(pool_ids)


def read_pool_balances(pool_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """The stored balance rows of these pools (one query; zeros for a missing row)."""
    ids = list(pool_ids)
    result = {pk: dict.fromkeys(POOL_FIELDS, 0) for pk in ids}
    for row in PoolBalance.objects.filter(pk__in=ids).values("pk", *POOL_FIELDS):
        result[row.pop("pk")] = row
    return result


def computed_pool_balances(pool_ids: Iterable[int] | None = None) -> dict[int, dict[str, int]]:
    """Pool balances recomputed from the ledger entries (two queries)."""
    on_pool = Entry.objects.filter(account__kind__in=list(POOL_FIELD_OF_ACCOUNT))
    granted = Entry.objects.filter(
        transaction__kind__in=MATCH_KINDS,
        account__kind__in=GRANTED_ACCOUNT_KINDS,
        transaction__pool__isnull=False,
    )
    if pool_ids is not None:
        pool_ids = list(pool_ids)
        on_pool = on_pool.filter(account__pool_id__in=pool_ids)
        granted = granted.filter(transaction__pool_id__in=pool_ids)
    result: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(POOL_FIELDS, 0))
    by_account = on_pool.values_list("account__pool_id", "account__kind")
    for pool_id, kind, total in by_account.annotate(t=Sum("amount")).order_by():
        result[pool_id][POOL_FIELD_OF_ACCOUNT[kind]] += int(total or 0)
    for pool_id, total in (
        granted.values_list("transaction__pool_id").annotate(t=Sum("amount")).order_by()
    ):
        result[pool_id]["granted"] += int(total or 0)
    return dict(result)


@transaction.atomic
def rebuild_pool_balances(pool_ids: Iterable[int] | None = None) -> int:
    """Set the pools' balance rows to the sums of the entries (all pools, or
    ``pool_ids``); every pool gets a row. For repairs and bulk-loaded data. Returns the
    number of rows written. Locks the pool rows first (PostgreSQL), like a posting."""
    pools = MatchPool.objects.order_by("pk")
    if pool_ids is not None:
        pools = pools.filter(pk__in=list(pool_ids))
    ids = list(pools.select_for_update(no_key=True).values_list("pk", flat=True))
    computed = computed_pool_balances(ids)
    now = timezone.now()
    zero = dict.fromkeys(POOL_FIELDS, 0)
    rows = [PoolBalance(pool_id=pk, updated_at=now, **computed.get(pk, zero)) for pk in ids]
    PoolBalance.objects.bulk_create(
        rows,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["pool"],
        update_fields=[*POOL_FIELDS, "updated_at"],
    )
    return len(rows)
