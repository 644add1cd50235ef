from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user):
        """The in-app notices of ``user`` (none for anonymous visitors)."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One message to one person, already written in their language.

    A message to an account is shown on its notifications page and e-mailed to the
    account's address; a message to an address without an account (an invitation, a
    donor's thank-you) is e-mail only and keeps the address in ``email``.
    ``emailed_at`` records when the e-mail went out (never twice).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("User"),
    )
    email = models.EmailField(_("E-mail address"), blank=True)
    language = models.CharField(_("Language"), max_length=10, choices=settings.LANGUAGES)
    title = models.CharField(_("Title"), max_length=200)
    body = models.TextField(_("Body"), blank=True)
    url = models.CharField(_("Link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("Read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("E-mailed at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("Notification")
        verbose_name_plural = _("Notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | ~Q(email=""),
                name="notification_has_recipient",
            )
        ]

    def __str__(self):
        return self.title
