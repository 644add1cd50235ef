from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import get_language
from wagtail.models import Locale, Page

from portal.core.bilingual import english_or_original, has_cjk, is_english, mark_chinese
from portal.core.money import format_fen
from portal.selectors import menu_pages

register = template.Library()


@register.simple_tag
def bi(obj, field="title", label=True, truncate=0, linebreaks=False):
    """``{% bi project "title" %}``: the English version (``title_en``) on English pages
    when there is one, else the Chinese original marked ``lang="zh-Hans"`` and labelled
    "Chinese original" (docs/public.md, *Bilingual content*)."""
    if obj is None:
        return ""
    text, is_original = english_or_original(obj, field)
    if truncate:
        text = Truncator(text).chars(truncate)
    return mark_chinese(text, label=label and is_original, linebreaks=linebreaks)


@register.simple_tag
def bi_text(obj, field="title"):
    """Plain-text ``bi`` for places that hold no markup (``<title>``, ``meta``)."""
    if obj is None:
        return ""
    return english_or_original(obj, field)[0]


@register.filter
def place(region):
    """``{{ project.region|place }}``: a region (or any taxonomy row) in the page's
    language; a Chinese name without English version is marked ``lang="zh-Hans"``."""
    if region is None:
        return ""
    return mark_chinese(english_or_original(region, "name")[0])


@register.simple_tag
def list_sep():
    """The separator between listed names: 、 in Chinese, a comma in English."""
    return ", " if is_english() else "、"


@register.filter
def zh(text, lines=""):
    """``{{ milestone.title|zh }}``: text people typed in Chinese, marked
    ``lang="zh-Hans"`` on English pages (no label: names, short lines).
    ``{{ text|zh:"lines" }}`` also turns newlines into ``<br>``."""
    return mark_chinese(text, linebreaks=lines == "lines")


@register.simple_tag
def lang_of(text):
    """`` lang="zh-Hans"`` for an element whose attribute (``alt``, ``title``) holds
    Chinese on an English page, else nothing: ``<img alt="{{ c }}"{% lang_of c %}>``."""
    if is_english() and has_cjk(str(text or "")):
        return mark_safe(' lang="zh-Hans"')  # noqa: S308 - constant markup
    return ""


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
