"""The one way to tell people something: :func:`notify`.

A notification is written once per recipient language: the caller hands over lazy
translatable text (``gettext_lazy``) and its parameters, and each recipient's copy is
rendered in their preferred language (Wagtail's user profile ``preferred_language``,
set at sign-up and on the notifications page; the site's language when unset). Accounts
get an in-app notice and an e-mail; addresses without an account get the e-mail only.
E-mail goes out from a background task after the transaction commits.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import Resolver404, resolve, translate_url
from django.utils import timezone, translation
from django.utils.functional import Promise

from .models import Notification

TITLE_MAX_LENGTH = Notification._meta.get_field("title").max_length
URL_MAX_LENGTH = Notification._meta.get_field("url").max_length


class Message:
    """A translatable sentence with parameters, rendered in whichever language is active.

    ``Message(gettext_lazy("Hello %(name)s"), name=user)`` renders as the active
    language's sentence; parameters may be lazy strings or messages themselves.
    ``Message.lines(a, b)`` joins parts with line breaks, leaving out empty ones.
    """

    def __init__(self, text: Any = "", /, **params: Any):
        self.text, self.params, self.parts = text, params, ()

    @classmethod
    def lines(cls, *parts: Any) -> Message:
        message = cls()
        message.parts = parts
        return message

    def __str__(self) -> str:
        if self.parts:
            return "\n".join(filter(None, (render(part) for part in self.parts)))
        return render(self.text, self.params)

    def __repr__(self) -> str:
        return f"Message({self.text!r}, {self.params!r})"


def _param(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Promise | Message):
        return str(value)
    return value


def render(text: Any, params: Mapping[str, Any] | None = None) -> str:
    """``text`` in the active language with ``params`` substituted.

    Only translatable text (lazy strings, :class:`Message`) is formatted; a plain
    ``str`` is free text someone typed and is taken literally, ``%`` signs included.
    """
    if isinstance(text, Message):
        return str(text)
    if isinstance(text, Promise):
        if params:
            return str(text % {key: _param(value) for key, value in params.items()})
        return str(text)
    return "" if text is None else str(text)


def site_languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def preferred_language(value: str | None) -> str:
    """``value`` when the site offers it, else the site's language."""
    return value if value in site_languages() else settings.LANGUAGE_CODE


def localized_url(url: str, language: str) -> str:
    """The site path ``url`` in ``language`` (``/en/...`` or unprefixed Chinese).

    CMS pages keep their own address (each language's page lives in its own tree)."""
    if not url.startswith("/"):
        return url
    # The path is resolved in the language it was written in (its prefix says which).
    with translation.override(translation.get_language_from_path(url) or settings.LANGUAGE_CODE):
        try:
            match = resolve(urlsplit(url).path)
        except Resolver404:
            return url
        if match.url_name == "wagtail_serve":
            return url
        return translate_url(url, language)


def _recipients(users: Iterable) -> list[tuple[int, str]]:
    """(user id, language) of the active accounts among ``users`` (ids or users)."""
    ids = {getattr(user, "pk", user) for user in users}
    ids.discard(None)
    if not ids:
        return []
    rows = (
        get_user_model()
        .objects.filter(pk__in=ids, is_active=True)
        .order_by("pk")
        .values_list("pk", "wagtail_userprofile__preferred_language")
    )
    return [(pk, preferred_language(language)) for pk, language in rows]


def notify(
    *,
    title: Any,
    body: Any = "",
    params: Mapping[str, Any] | None = None,
    url: str = "",
    users: Iterable = (),
    emails: Iterable[str] = (),
    language: str | None = None,
    email: bool = True,
) -> list[Notification]:
    """Tell ``users`` (users or ids) and ``emails`` (addresses without an account).

    ``title`` and ``body`` are lazy translatable strings (or :class:`Message`), both
    formatted with ``params``; plain strings are taken literally. ``url`` is a site path
    (it is given each recipient's language prefix; e-mails make it absolute with
    ``SITE_URL``). ``language`` is the language of the bare addresses (the site's when
    omitted). Inactive accounts are skipped.

    Guarantees: one row per recipient, written in the caller's transaction; the e-mails
    are queued as one task after commit (``email=False``: in-app notice only). Returns
    the rows created.
    """
    recipients = [(user_id, "", lang) for user_id, lang in _recipients(users)]
    address_language = preferred_language(language)
    addresses = sorted({address.strip() for address in emails if address and address.strip()})
    recipients += [(None, address, address_language) for address in addresses]
    if not recipients:
        return []
    copies = {}
    for lang in {lang for _user, _address, lang in recipients}:
        with translation.override(lang):
            copies[lang] = (
                render(title, params)[:TITLE_MAX_LENGTH],
                render(body, params).rstrip(),
                localized_url(url, lang)[:URL_MAX_LENGTH] if url else "",
            )
    rows = Notification.objects.bulk_create(
        [
            Notification(
                user_id=user_id,
                email=address,
                language=lang,
                title=copies[lang][0],
                body=copies[lang][1],
                url=copies[lang][2],
            )
            for user_id, address, lang in recipients
        ]
    )
    if email:
        ids = [row.pk for row in rows]
        transaction.on_commit(lambda: _enqueue_emails(ids))
    return rows


def _enqueue_emails(ids: list[int]) -> None:
    from .tasks import send_notification_emails

    send_notification_emails.enqueue(notification_ids=ids)


def set_language(*, user, language: str) -> str:
    """Store ``user``'s language for notifications, e-mail and the admin; returns it.

    An unknown code stores the site's language."""
    from wagtail.users.models import UserProfile

    language = preferred_language(language)
    UserProfile.objects.update_or_create(user=user, defaults={"preferred_language": language})
    return language


def user_language(user) -> str:
    """The language ``user`` is written to in (the site's when they chose none)."""
    return dict(_recipients([user])).get(user.pk, settings.LANGUAGE_CODE)


def remember_signup_language(sender, request, user, **kwargs) -> None:
    """A new account is written to in the language it signed up in."""
    set_language(user=user, language=getattr(request, "LANGUAGE_CODE", ""))
