"""Background work for projects (django-tasks): take ids, load, act."""

from django.conf import settings
from django.core.mail import send_mass_mail
from django_tasks import task

from organizations.models import Membership


@task()
def send_member_email(*, organization_id: int, subject: str, body: str) -> int:
    """Email every member of the organization who has an address; returns how many."""
    emails = sorted(
        set(
            Membership.objects.filter(organization_id=organization_id)
            .exclude(user__email="")
            .values_list("user__email", flat=True)
        )
    )
    messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [email]) for email in emails]
    return send_mass_mail(messages, fail_silently=False)
