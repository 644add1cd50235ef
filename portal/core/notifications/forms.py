from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class LanguageForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language of your notifications and e-mails"),
        choices=settings.LANGUAGES,
    )
