"""Running usage of live matching's caps (``MatchCapUsage``), one row per cap key.

A cap check reads at most three rows by their unique key (per project, per donor per
project, per call per day) instead of summing reservations, so its cost does not grow
with the day. Every change to a reservation's live amount (hold, release, reversal)
and every move of its day (a gift received on another day than its hold was taken)
calls :func:`add_usage` in the same transaction. ``reconcile`` proves the rows equal to
the reservations; :func:`rebuild_cap_usage` recomputes them.
"""

from collections import defaultdict
from datetime import date, datetime

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from ..models import Donation, MatchCapUsage, MatchReservation


def project_key(project_id: int) -> str:
    return f"project:{project_id}"


def donor_key(project_id: int, email: str) -> str:
    return f"donor:{project_id}:{email.strip().lower()}"


def day_key(call_id: int, day: date) -> str:
    return f"day:{call_id}:{day.isoformat()}"


def local_day(at: datetime) -> date:
    return timezone.localtime(at).date()


def reservation_keys(*, project, email: str, day: date | None) -> list[str]:
    """The cap keys a reservation of a gift to ``project`` by ``email`` counts in."""
    if project is None:
        return []
    keys = [project_key(project.pk)]
    if email:
        keys.append(donor_key(project.pk, email))
    if project.call_id and day is not None:
        keys.append(day_key(project.call_id, day))
    return keys


def usage(keys: list[str]) -> dict[str, int]:
    """Used amount per key (0 for a key without a row): one indexed query. Inside an
    inbox batch that collects postings: as the batch first read it plus its pending
    changes."""
    from . import batching

    batch = batching.current()
    if batch is not None:
        return batch.usage(list(keys))
    return read_usage(keys)


def read_usage(keys: list[str]) -> dict[str, int]:
    """The stored usage rows of ``keys`` (one query; 0 for a missing row)."""
    result = dict.fromkeys(keys, 0)
    if keys:
        result.update(MatchCapUsage.objects.filter(key__in=keys).values_list("key", "used"))
    return result


def add_usage(changes: dict[str, int]) -> None:
    """Add signed amounts to the keys' usage rows, in key order, creating missing rows.

    A decrease is a conditional ``UPDATE … WHERE used >= amount``; one that would go
    below zero means the rows disagree with the reservations and raises ``ValueError``
    (the transaction rolls back; ``reconcile`` reports the row). Call inside the
    transaction that changes the reservations. Inside an inbox batch that collects
    postings the changes are summed and written once in the batch's tail.
    """
    from . import batching

    batch = batching.current()
    if batch is not None:
        batch.add_usage(changes)
        return
    write_usage(changes)


def write_usage(changes: dict[str, int]) -> None:
    """:func:`add_usage` now (see there). When every change is an increase they go in
    one upsert, rows in key order (``INSERT … ON CONFLICT (key) DO UPDATE SET used =
    used + excluded.used``); otherwise one conditional update per key, in key order."""
    changes = {k: int(v) for k, v in changes.items() if int(v)}
    if changes and all(v > 0 for v in changes.values()):
        _upsert_increases(sorted(changes.items()))
        return
    for key in sorted(changes):
        delta = int(changes[key])
        if not delta:
            continue
        rows = MatchCapUsage.objects.filter(key=key)
        if delta < 0:
            rows = rows.filter(used__gte=-delta)
        if rows.update(used=F("used") + delta):
            continue
        if delta < 0:
            raise ValueError(f"cap usage {key} cannot drop by {-delta}")
        try:
            with transaction.atomic():
                MatchCapUsage.objects.create(key=key, used=delta)
        except IntegrityError:
            if not MatchCapUsage.objects.filter(key=key).update(used=F("used") + delta):
                raise


def _upsert_increases(increases: list[tuple[str, int]]) -> None:
    quote = connection.ops.quote_name
    table = quote(MatchCapUsage._meta.db_table)
    key, used = quote("key"), quote("used")
    values = ", ".join(["(%s, %s)"] * len(increases))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key}, {used}) VALUES {values} "  # noqa: S608 - no input
            f"ON CONFLICT ({key}) DO UPDATE SET {used} = {table}.{used} + excluded.{used}",
            [item for pair in increases for item in pair],
        )


def computed_usage() -> dict[str, int]:
    """Usage recomputed from the live reservations (one query)."""
    result: dict[str, int] = defaultdict(int)
    rows = (
        MatchReservation.objects.live()
        .filter(donation__project__isnull=False)
        .values_list(
            "donation__project_id",
            "donation__project__call_id",
            "donation__donor_email",
            "cap_day",
            F("amount") - F("reversed_amount"),
        )
    )
    for project_id, call_id, email, day, net in rows:
        if not net:
            continue
        result[project_key(project_id)] += net
        if email:
            result[donor_key(project_id, email)] += net
        if call_id and day is not None:
            result[day_key(call_id, day)] += net
    return dict(result)


@transaction.atomic
def rebuild_cap_usage() -> int:
    """Set every usage row to what the live reservations say (rows of keys no longer
    used are set to 0). Returns the number of rows written."""
    computed = computed_usage()
    keys = set(computed) | set(MatchCapUsage.objects.values_list("key", flat=True))
    MatchCapUsage.objects.bulk_create(
        [MatchCapUsage(key=k, used=computed.get(k, 0)) for k in sorted(keys)],
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["key"],
        update_fields=["used"],
    )
    return len(keys)


def donor_keys_of(donation_ids) -> set[str]:
    """The donor cap keys (``donor:<project>:<email>``) the given gifts count in."""
    rows = (
        Donation.objects.filter(pk__in=donation_ids, project__isnull=False)
        .exclude(donor_email="")
        .values_list("project_id", "donor_email")
    )
    return {donor_key(project_id, email) for project_id, email in rows}


def rebuild_usage_rows(keys) -> int:
    """Set the usage rows of ``keys`` to what the live reservations say now (0 for a key
    no reservation counts in any more, e.g. a donor key after the gifts' e-mail was
    erased). Call inside the transaction that changed the reservations' keys; the rows
    are locked first so a concurrent hold waits. Returns the number of rows written."""
    keys = sorted(keys)
    if not keys:
        return 0
    list(MatchCapUsage.objects.select_for_update().filter(key__in=keys).values_list("pk"))
    computed = computed_usage()
    written = 0
    for key in keys:
        written += MatchCapUsage.objects.filter(key=key).update(used=computed.get(key, 0))
    return written
