"""Background work for review (django-tasks): take ids, load, act."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from projects.models import CallPage


def reminder_messages(*, call_id: int | None = None) -> list[tuple[str, str, str, list[str]]]:
    """One email per reviewer with outstanding reviews (in ``call_id`` or every call)."""
    from .services import outstanding_by_reviewer

    call = CallPage.objects.filter(pk=call_id).first() if call_id else None
    outstanding = outstanding_by_reviewer(call)
    users = get_user_model().objects.filter(pk__in=outstanding).exclude(email="").order_by("pk")
    url = f"{settings.SITE_URL}{reverse('review:queue')}"
    with translation.override(settings.LANGUAGE_CODE):
        return [
            (
                _("Reviews waiting for you"),
                _("You have %(n)d review(s) still to complete. Your queue: %(url)s")
                % {"n": outstanding[user.pk], "url": url},
                settings.DEFAULT_FROM_EMAIL,
                [user.email],
            )
            for user in users
        ]


@task()
def send_reviewer_reminders(*, call_id: int | None = None) -> int:
    """Email every reviewer who still has reviews to do; returns how many were sent."""
    return send_mass_mail(reminder_messages(call_id=call_id), fail_silently=False)
