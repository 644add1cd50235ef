from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language
from wagtail.models import Locale, Page

from portal.core.money import format_fen
from portal.selectors import menu_pages

register = template.Library()


@register.filter
def fen(amount, currency=None):
    """``{{ project.goal_amount|fen }}`` → ``¥1,234.56``."""
    return format_fen(amount, currency)


@register.filter
def fen_whole(amount, currency=None):
    """Whole yuan, for headline figures."""
    return format_fen(amount, currency, decimals=False)


def _locale_root(language_code: str) -> Page | None:
    try:
        locale = Locale.objects.get(language_code=language_code)
    except Locale.DoesNotExist:
        return None
    from portal.models import HomePage

    return HomePage.objects.live().filter(locale=locale).first()


@register.simple_tag(takes_context=True)
def home_page(context):
    """The live home page of the active language (cached on the request)."""
    request = context.get("request")
    cache_key = "_portal_home_" + (get_language() or settings.LANGUAGE_CODE)
    if request is not None and hasattr(request, cache_key):
        return getattr(request, cache_key)
    root = _locale_root(get_language() or settings.LANGUAGE_CODE) or _locale_root(
        settings.LANGUAGE_CODE
    )
    if request is not None:
        setattr(request, cache_key, root)
    return root


@register.simple_tag(takes_context=True)
def main_menu(context):
    return menu_pages(home_page(context))


@register.simple_tag(takes_context=True)
def language_links(context):
    """Links to the current page in every language.

    A Wagtail page links to its translation when one exists (else that language's home
    page); any other view links to the same URL under the other language prefix.
    """
    request = context.get("request")
    page = context.get("page") if isinstance(context.get("page"), Page) else None
    current = get_language()
    translations = {}
    if page is not None:
        translations = {
            p.locale.language_code: p for p in page.get_translations(inclusive=True).live()
        }
    links = []
    for code, name in settings.LANGUAGES:
        if page is not None:
            target = translations.get(code) or _locale_root(code)
            url = target.url if target else "/"
        elif request is not None:
            url = translate_url(request.get_full_path(), code)
        else:
            url = "/"
        links.append({"code": code, "name": name, "url": url, "is_current": code == current})
    return links


@register.inclusion_tag("portal/includes/footer.html", takes_context=True)
def site_footer(context):
    from portal.models import Footer

    footer = Footer.objects.filter(locale__language_code=get_language()).first()
    if footer is None:
        footer = Footer.objects.filter(locale__language_code=settings.LANGUAGE_CODE).first()
    from portal.consent import policy_url

    return {"footer": footer, "request": context.get("request"), "privacy_url": policy_url()}


@register.filter
def highlight(text, query):
    """``text`` escaped, with the words of the search ``query`` in ``<mark>``."""
    from portal.core.search import highlight as mark

    return mark(text, query or "")


def _absolute(path: str) -> str:
    """A site path as an absolute URL on ``SITE_URL`` (what a shared link must carry)."""
    return f"{settings.SITE_URL}{path}" if path.startswith("/") else path


@register.inclusion_tag("portal/includes/share_meta.html", takes_context=True)
def share_meta(context, title, description="", path=None):
    """Open Graph and schema.org metadata, read by WeChat, Weibo and other apps when a
    link is shared: title, description, canonical absolute URL and an image."""
    from django.templatetags.static import static
    from django.utils.html import strip_tags
    from django.utils.text import Truncator

    request = context.get("request")
    url = _absolute(path or (request.path if request else "/"))
    text = " ".join(strip_tags(str(description or "")).split())
    return {
        "title": title,
        "description": Truncator(text).chars(150),
        "url": url,
        "image": _absolute(static("portal/apple-touch-icon.png")),
        "locale": "zh_CN" if (get_language() or "").startswith("zh") else "en_US",
    }


@register.inclusion_tag("portal/includes/share_panel.html", takes_context=True)
def share_panel(context, label, path=None):
    """The page's absolute link and a QR code of it (rendered here with segno, inline
    SVG, no web service) to open it on a phone or share it in WeChat."""
    from portal.core.qrcode import qr_svg

    request = context.get("request")
    url = _absolute(path or (request.path if request else "/"))
    return {"url": url, "qr": qr_svg(url, scale=4), "label": label}
