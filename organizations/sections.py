"""Include points other apps fill without this app importing them: Wagtail hooks whose
functions return a template name. An app registers in its ``AppConfig.ready()`` (or with
``@hooks.register`` in its ``wagtail_hooks.py``)::

    from wagtail import hooks
    from organizations.sections import DASHBOARD_SECTIONS

    hooks.register(DASHBOARD_SECTIONS, lambda: "projects/dashboard/applications.html")

Dashboard sections render on ``/me/`` with ``user`` and ``request`` in the context;
profile sections render on an organization's public page with ``organization``. They
render in hook order (``order=``, then the order of ``INSTALLED_APPS``). Each template is
responsible for its own queries (keep them constant per page).
"""

from wagtail import hooks

DASHBOARD_SECTIONS = "organizations_dashboard_sections"
PROFILE_SECTIONS = "organizations_profile_sections"


def section_templates(hook_name: str) -> list[str]:
    """The template names registered under ``hook_name``, in hook order."""
    return [template() for template in hooks.get_hooks(hook_name)]


def dashboard_sections() -> list[str]:
    return section_templates(DASHBOARD_SECTIONS)


def profile_sections() -> list[str]:
    return section_templates(PROFILE_SECTIONS)
