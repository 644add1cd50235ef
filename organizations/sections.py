"""Include points other apps fill without this app importing them.

An app appends a template name in its ``AppConfig.ready()``::

    from organizations.sections import dashboard_sections
    dashboard_sections.append("projects/dashboard/applications.html")

Dashboard sections render on ``/me/`` with ``user`` and ``request`` in the context;
profile sections render on an organization's public page with ``organization``.
Each template is responsible for its own queries (keep them constant per page).
"""

dashboard_sections: list[str] = []
profile_sections: list[str] = []
