from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .forms import LanguageForm
from .services import set_language


@login_required
@require_POST
def language(request):
    """Save the language the person is written to in, then go back where they were."""
    form = LanguageForm(request.POST)
    if form.is_valid():
        set_language(user=request.user, language=form.cleaned_data["language"])
        messages.success(request, _("Your notifications and e-mails will use this language."))
    else:
        messages.error(request, _("Please choose one of the languages offered."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    return redirect(target)
