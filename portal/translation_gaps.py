"""Messages of Django and Wagtail that their own zh_Hans catalogues lack, so Chinese pages
showed them in English (issue #19, "no English on Chinese pages").

Nothing imports this module: it exists so that ``makemessages`` keeps these msgids in
portal's catalogue, which takes precedence over the libraries' (``portal`` is first in
``INSTALLED_APPS``). ``tests/portal/test_i18n.py`` checks each one is shown in Chinese.
"""

from django.utils.translation import gettext_noop, ngettext_lazy

GAPS = (
    # Django 5.2 changed this message's placeholder (%(min_length)d to %d); its zh_Hans
    # catalogue has only the old text, so the sign-up form answered in English.
    ngettext_lazy(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
        "min_length",
    ),
    # Wagtail's account settings page.
    gettext_noop("Use server language: %(language_name)s"),
    gettext_noop("Enable custom keyboard shortcuts specific to Wagtail."),
)
