"""Real threads for the PostgreSQL race tests: each runs ``target(*args)``, all released
together by a barrier, each closing its own database connection."""

import threading

from django.db import close_old_connections, connection


def run_threads(target, args_list, *, timeout: float = 120) -> list[str]:
    """Run ``target(*args)`` for each ``args`` in its own thread at once; returns the
    exceptions raised, as ``repr`` strings (the tests assert on them)."""
    barrier = threading.Barrier(len(args_list))
    errors: list[str] = []

    def wrapper(*args):
        try:
            barrier.wait()
            target(*args)
        except Exception as exc:  # noqa: BLE001 - collected and asserted by the caller
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=wrapper, args=args) for args in args_list]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    close_old_connections()
    return errors
