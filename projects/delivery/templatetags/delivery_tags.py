from django import template

from ..selectors import deliveries_for_member, public_section, updates_for_donor

register = template.Library()


@register.simple_tag
def delivery_public_section(project):
    """Context for the public project page section (see ``selectors.public_section``)."""
    return public_section(project.pk)


@register.simple_tag
def my_deliveries(user):
    if not user.is_authenticated:
        return []
    return list(deliveries_for_member(user))


@register.simple_tag
def donor_updates(user):
    """Progress of the projects the signed-in donor gave to (``/me/``)."""
    return updates_for_donor(user)
