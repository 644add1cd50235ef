"""Include points on the public project page that later apps fill.

``projects`` never imports the apps built on it (delivery, evaluation, funding). They append
a template name in their ``AppConfig.ready()``::

    from projects.sections import project_sections
    project_sections.append("delivery/includes/project_timeline.html")

Each template renders inside ``projects/project_detail.html`` with ``project`` and ``request``
in the context, after the money section, in the order the apps were loaded. A template
does its own queries through an inclusion tag or ``{% with %}`` of its app (keep them
constant per page) and must render nothing when it has nothing to say.
"""

project_sections: list[str] = []
