"""Delivery's named permissions (see organizations/rules.py for the model)."""

import rules

from organizations.rules import is_programme_staff, membership_for


@rules.predicate
def is_delivery_member(user, delivery) -> bool:
    project = getattr(delivery, "project", None)
    return membership_for(user, getattr(project, "organization_id", None)) is not None


# A funded project's delivery page, agreement, reports, receipts and photos.
rules.add_perm("delivery.open_delivery", is_delivery_member | is_programme_staff)
# Starting deliveries, agreements, tranches, milestone and report decisions.
rules.add_perm("delivery.manage_delivery", is_programme_staff)
