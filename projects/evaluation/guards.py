"""The disbursement hold: a failed (差) mid-term evaluation stops the next tranche.

``funding.services.spending`` asks every callable in its ``disbursement_guards`` list
``guard(project, amount) -> str | None`` before a tranche is recorded and again before it
is paid; a non-empty answer refuses it with that (translated) reason. ``register()``
(from ``AppConfig.ready``) adds ``failed_midterm_guard`` when the registry exists;
funding never imports this app.
"""

from __future__ import annotations

from .enums import DECIDED_STATUSES, EvaluationKind, Grade
from .models import Evaluation


def failed_midterm_guard(project, amount: int = 0) -> str | None:
    """The reason the project's next tranche (of ``amount`` fen, not needed to decide)
    may not be recorded or paid, or ``None``.

    Held while the project has a finalised or published mid-term graded 差 that staff
    have not released (``services.release_disbursement_hold``). One query."""
    from .services import hold_reason

    evaluation = (
        Evaluation.objects.filter(
            project_id=project.pk,
            kind=EvaluationKind.MIDTERM,
            grade=Grade.FAIL,
            status__in=DECIDED_STATUSES,
            hold_released_at__isnull=True,
        )
        .select_related("project")
        .first()
    )
    if evaluation is None:
        return None
    return hold_reason(evaluation)


def register() -> bool:
    """Add the guard to funding's registry if funding provides one; True when registered."""
    try:
        from funding.services import spending
    except ImportError:
        return False
    guards = getattr(spending, "disbursement_guards", None)
    if guards is None:
        return False
    if failed_midterm_guard not in guards:
        guards.append(failed_midterm_guard)
    return True
