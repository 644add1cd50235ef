from django.conf import settings


def site_context(request):
    return {
        "SITE_NAME": settings.WAGTAIL_SITE_NAME,
        "SITE_URL": settings.SITE_URL,
        "LARGE_TEXT": request.COOKIES.get("large_text") == "1",
    }
