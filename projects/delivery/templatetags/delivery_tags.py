from django import template

from ..selectors import deliveries_for_member, public_section

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
