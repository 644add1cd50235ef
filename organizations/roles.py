"""Staff roles are Django groups (created by migration 0002 and kept by seed_demo).

The group *names* are stable identifiers used in code; the admin shows them as-is.
"""

from django.utils.translation import gettext_lazy as _

ADMINISTRATOR = "Administrators"
PROGRAMME_OFFICER = "Programme officers"
REVIEWER = "Reviewers"
EVALUATOR = "Evaluators"
FINANCE_OFFICER = "Finance officers"
MENTOR = "Mentors"

ROLE_LABELS = {
    ADMINISTRATOR: _("Administrators"),
    PROGRAMME_OFFICER: _("Programme officers"),
    REVIEWER: _("Reviewers"),
    EVALUATOR: _("Evaluators"),
    FINANCE_OFFICER: _("Finance officers"),
    MENTOR: _("Mentors"),
}
ALL_ROLES = list(ROLE_LABELS)
# Roles whose members work in the Wagtail admin and so must use two-factor login.
MFA_ROLES = [ADMINISTRATOR, PROGRAMME_OFFICER, REVIEWER, EVALUATOR, FINANCE_OFFICER]


def has_role(user, *roles: str) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    names = getattr(user, "_portal_role_names", None)
    if names is None:
        names = set(user.groups.values_list("name", flat=True))
        user._portal_role_names = names
    return bool(names.intersection(roles))
