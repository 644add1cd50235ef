"""State machines as data: one table shape and one check for every stateful model.

A table maps each ``(from_state, to_state)`` pair that is allowed to the name of the
rule (a permission name from the apps' ``rules.py``) a person must hold to make that
move, or ``None`` when only the system makes it (a webhook, a task, a service).
Transition services call :func:`check_transition` before they save, so the table is the
one place that says which moves exist.

    DONATION_TRANSITIONS: TransitionTable = {
        ("pending", "succeeded"): None,
        ("succeeded", "refunded"): "funding.refund_donation",
    }
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from .errors import DomainError

TransitionTable = Mapping[tuple[str, str], str | None]


class InvalidTransition(DomainError):
    """The object's current state does not allow the requested move."""


class Transitions(dict):
    """A transition table (``{(from, to): permission or None}``) that knows how to refuse:
    ``states`` is the ``TextChoices`` whose labels name the states, ``message`` the
    translated sentence (with ``%(current)s`` and ``%(to)s``), ``error`` the app's
    :class:`DomainError` subclass (default :class:`InvalidTransition`)."""

    def __init__(self, moves, *, states, message=None, error: type[DomainError] | None = None):
        super().__init__(moves)
        self.states, self.message, self.error = states, message, error

    def check(self, current: str, to: str, *, by=None, obj=None, denied=None, error=None):
        """:func:`check_transition` with this table's labels, sentence and error."""
        check_transition(
            self,
            current=current,
            to=to,
            by=by,
            obj=obj,
            label=lambda state: self.states(state).label,
            message=self.message,
            denied=denied,
            error=error or self.error,
        )


def allowed_targets(table: TransitionTable, current: str) -> list[str]:
    """States reachable from ``current`` in one move, in the table's order."""
    return [to for (frm, to) in table if frm == current]


def check_transition(
    table: TransitionTable,
    *,
    current: str,
    to: str,
    by=None,
    obj=None,
    label=None,
    message=None,
    denied=None,
    error: type[DomainError] | None = None,
) -> None:
    """Refuse a move the table does not list, or one ``by`` may not make.

    Raises ``error`` (default :class:`InvalidTransition`; translated, names both states
    via ``label``, a function from state value to display label) when ``(current, to)``
    is not in the table, with ``message`` instead of the generic sentence when given (it
    may use ``%(current)s`` and ``%(to)s``); and ``PermissionDenied`` (with ``denied`` as
    its message) when the move needs a permission that ``by`` lacks, checked with
    ``by.has_perm(permission, obj)``. ``by=None`` means the system acts.
    """
    if (current, to) not in table:
        show = label or str
        raise (error or InvalidTransition)(
            message or _("This cannot move from “%(current)s” to “%(to)s”."),
            params={"current": show(current), "to": show(to)},
            code="invalid_transition",
        )
    permission = table[(current, to)]
    if permission and by is not None and not by.has_perm(permission, obj):
        raise PermissionDenied(denied) if denied else PermissionDenied
