from django import template

from projects.selectors import applications_for_user

register = template.Library()


@register.simple_tag
def my_applications(user):
    """The user's applications for the ``/me/`` dashboard section (constant queries)."""
    return applications_for_user(user)
