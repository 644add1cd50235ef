"""Background work for review (django-tasks): take ids, load, act."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy, ngettext_lazy
from django_tasks import task

from portal.core.notifications.services import notify
from projects.models import CallPage


@task()
def send_reviewer_reminders(*, call_id: int | None = None) -> int:
    """Remind every reviewer with outstanding reviews (in ``call_id`` or every call):
    an in-app notice and an e-mail each, in their language. Returns how many reviewers
    were reminded."""
    from .services import outstanding_by_reviewer

    call = CallPage.objects.filter(pk=call_id).first() if call_id else None
    outstanding = outstanding_by_reviewer(call)
    reviewers = get_user_model().objects.filter(pk__in=outstanding).order_by("pk")
    reminded = 0
    with transaction.atomic():
        for reviewer in reviewers:
            reminded += len(
                notify(
                    users=[reviewer],
                    title=gettext_lazy("Reviews waiting for you"),
                    body=ngettext_lazy(
                        "You have %(n)d review still to complete.",
                        "You have %(n)d reviews still to complete.",
                        "n",
                    ),
                    params={"n": outstanding[reviewer.pk]},
                    url=reverse("review:queue"),
                )
            )
    return reminded
