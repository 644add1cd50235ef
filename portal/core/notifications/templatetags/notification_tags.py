from django import template

from ..forms import LanguageForm
from ..services import user_language

register = template.Library()


@register.inclusion_tag("notifications/language_form.html", takes_context=True)
def notification_language_form(context):
    """The form that chooses the language of the signed-in person's notifications."""
    request = context["request"]
    form = LanguageForm(initial={"language": user_language(request.user)})
    return {
        "form": form,
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }
