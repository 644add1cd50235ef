"""Background tasks of the funding app (django-tasks)."""

from django_tasks import task


@task()
def drain_inbox(max_seconds: float = 50.0) -> dict:
    """Apply pending provider notifications from the inbox in batches until none is due
    (or ``max_seconds`` passed, then another drain is queued). Any number of these may
    run at once, on any machine: batches are claimed with ``SKIP LOCKED``.
    Returns the totals (claimed / applied / ignored / failed / deferred)."""
    from .services.inbox import kick_workers, pending_count, process_inbox

    result = process_inbox(max_seconds=max_seconds)
    if result.claimed and pending_count():
        kick_workers()
    return vars(result)
