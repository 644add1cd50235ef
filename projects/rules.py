"""Projects' named permissions (see organizations/rules.py for the model)."""

import rules

from organizations.rules import is_programme_staff, membership_for


@rules.predicate
def is_project_member(user, project) -> bool:
    return membership_for(user, getattr(project, "organization_id", None)) is not None


@rules.predicate
def is_project_editor(user, project) -> bool:
    membership = membership_for(user, getattr(project, "organization_id", None))
    return bool(membership and membership.can_edit)


# A project's optional English title and summary: its organization's editors and staff.
rules.add_perm("projects.edit_project_english", is_project_editor | is_programme_staff)
# A funded project's final report: the implementing organization and programme staff.
rules.add_perm("projects.view_project_report", is_project_member | is_programme_staff)
# Screening applications, viewing them in the admin, moderating residents' needs.
rules.add_perm("projects.manage_applications", is_programme_staff)
# Moves only the applicant organization makes (submit, resubmit, withdraw): its owners and
# editors, not staff (projects.enums.APPLICATION_TRANSITIONS).
rules.add_perm("projects.act_as_applicant", is_project_editor)
rules.add_perm("projects.moderate_needs", is_programme_staff)


@rules.predicate
def is_public_need(user, need) -> bool:
    from .enums import NeedStatus

    return need is not None and need.status in (NeedStatus.PUBLISHED, NeedStatus.MERGED)


@rules.predicate
def is_need_author(user, need) -> bool:
    return bool(user and user.is_authenticated and need is not None) and (need.author_id == user.pk)


# A resident's need: everyone once published; before (pending, declined) its author and
# programme staff only.
rules.add_perm("projects.view_need", is_public_need | is_need_author | is_programme_staff)
