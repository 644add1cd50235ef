"""Notifications: one dispatcher for in-app notices and e-mail, in each recipient's language.

Every app sends messages to people through
:func:`portal.core.notifications.services.notify`; see docs/architecture.md
("How to add a notification").
"""
