"""Include points on the public project page that later apps fill.

``projects`` never imports the apps built on it (delivery, evaluation, funding). They
register a Wagtail hook returning a template name, in their ``AppConfig.ready()``::

    from wagtail import hooks
    from projects.sections import PROJECT_SECTIONS

    hooks.register(PROJECT_SECTIONS, lambda: "delivery/includes/project_section.html")

Each template renders inside ``projects/project_detail.html`` with ``project`` and ``request``
in the context, after the money section, in hook order (the order the apps are installed).
A template does its own queries through an inclusion tag or ``{% with %}`` of its app (keep
them constant per page) and must render nothing when it has nothing to say.
"""

from organizations.sections import section_templates

PROJECT_SECTIONS = "projects_project_sections"


def project_sections() -> list[str]:
    return section_templates(PROJECT_SECTIONS)
