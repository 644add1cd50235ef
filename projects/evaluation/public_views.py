"""Front end: residents rate a project (成效让群众评判)."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from projects.models import Project

from . import ratelimit, services
from .forms import FeedbackForm

# (attempts, seconds) per signed-in user and per client address.
USER_RATE = (10, 3600)
IP_RATE = (30, 3600)


def _rates() -> tuple[tuple[int, int], tuple[int, int]]:
    return (
        getattr(settings, "EVALUATION_FEEDBACK_USER_RATE", USER_RATE),
        getattr(settings, "EVALUATION_FEEDBACK_IP_RATE", IP_RATE),
    )


def feedback(request, slug):
    """GET: the rating form (or why it is not offered). POST: submit it; on any error the
    form comes back with what was typed."""
    project = get_object_or_404(Project.objects.public().select_related("organization"), slug=slug)
    if not request.user.is_authenticated:
        messages.info(request, _("Please sign in to rate this project."))
        here = reverse("evaluation_public:feedback", kwargs={"slug": project.slug})
        return redirect(f"{reverse('account_login')}?{urlencode({'next': here})}")
    refusal = services.feedback_refusal(project=project, user=request.user)
    if request.method != "POST":
        return render(
            request,
            "evaluation/feedback_form.html",
            {"project": project, "form": FeedbackForm(), "refusal": refusal},
        )
    form = FeedbackForm(request.POST)
    user_rate, ip_rate = _rates()
    allowed = ratelimit.hit(f"user:{request.user.pk}", limit=user_rate[0], window=user_rate[1])
    allowed = (
        ratelimit.hit(f"ip:{ratelimit.client_ip(request)}", limit=ip_rate[0], window=ip_rate[1])
        and allowed
    )
    if not allowed:
        form.is_valid()
        form.add_error(
            None,
            _(
                "Too many ratings in a short time. Please try again in an "
                "hour; your text is kept below."
            ),
        )
        return render(
            request,
            "evaluation/feedback_form.html",
            {"project": project, "form": form, "refusal": None},
            status=429,
        )
    if form.is_valid():
        try:
            services.submit_feedback(
                project=project,
                user=request.user,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request, _("Thank you! Your rating will appear once staff have checked it.")
            )
            return redirect(f"{project.get_absolute_url()}#resident-feedback")
    return render(
        request,
        "evaluation/feedback_form.html",
        {"project": project, "form": form, "refusal": None},
        status=400,
    )
