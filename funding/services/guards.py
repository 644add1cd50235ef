"""Money goes only to projects that may receive it.

No online, offline or imported gift, no match and no tranche for a project that is
closed, terminated or whose funding agreement is not signed (``Project.accepts_money``;
the delivery app keeps ``Project.status`` in step with its stages). Each service calls
:func:`refuse_closed_project` before it writes anything; the refusal is a
``ProjectClosedToMoney`` domain error with a translated sentence, shown as a form error.
A gift to the general fund (no project) is never refused here.
"""

from django.utils.translation import gettext as _

from projects.models import Project

from ..errors import ProjectClosedToMoney

GIFT = "gift"
MATCH = "match"


def refuse_closed_project(project: Project | None, *, action: str = GIFT, field=None) -> None:
    """Raise ``ProjectClosedToMoney`` (translated reason, on ``field``) when ``project``
    may not receive money now; do nothing for the general fund or an open project.
    Reads only the project row already loaded."""
    if project is None:
        return
    reason = project.money_refusal
    if not reason:
        return
    if action == MATCH:
        message = _("No match can be reserved for “%(project)s”: %(reason)s.")
    else:
        message = _("“%(project)s” does not accept donations now: %(reason)s.")
    raise ProjectClosedToMoney(
        f"project {project.pk} is {project.status}",
        message=message % {"project": project.title, "reason": reason},
        field=field,
    )
