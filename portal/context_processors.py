from django.conf import settings

from portal.core.notifications.models import Notification


def site_context(request):
    user = getattr(request, "user", None)

    def unread_notifications() -> int:
        # Called by the template only where the header renders (one COUNT on an index).
        if user is None or not user.is_authenticated:
            return 0
        return Notification.objects.for_user(user).unread().count()

    return {
        "UNREAD_NOTIFICATIONS": unread_notifications,
        "SITE_NAME": settings.WAGTAIL_SITE_NAME,
        "SITE_URL": settings.SITE_URL,
        "LARGE_TEXT": request.COOKIES.get("large_text") == "1",
    }
