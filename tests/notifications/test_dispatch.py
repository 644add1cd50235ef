"""The one notification dispatcher: every recipient's copy in their language, in-app
notice for accounts, e-mail queued after commit, sent once."""

import datetime
from unittest import mock

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy, ngettext_lazy
from wagtail.users.models import UserProfile

from organizations.enums import MemberRole
from portal.core.notifications.models import Notification
from portal.core.notifications.services import Message, notify, set_language, user_language
from portal.core.notifications.tasks import send_notification_emails
from tests.factories.organizations import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
DEADLINE = datetime.datetime(2026, 5, 1, 2, 30, tzinfo=datetime.UTC)


def _english(user):
    UserProfile.objects.create(user=user, preferred_language="en")
    return user


def test_notify_writes_each_copy_in_the_recipients_language(django_capture_on_commit_callbacks):
    chinese, english = UserFactory(), _english(UserFactory())

    with django_capture_on_commit_callbacks(execute=True):
        notify(
            users=[chinese, english.pk],
            title=gettext_lazy("%(name)s is verified"),
            body=Message.lines(
                gettext_lazy("Thank you for your donation"),
                Message(gettext_lazy("Deadline: %(deadline)s"), deadline=DEADLINE),
            ),
            params={"name": "阳光社工"},
            url=reverse("projects:notifications"),
        )

    zh = Notification.objects.get(user=chinese)
    en = Notification.objects.get(user=english)
    assert (zh.language, zh.title, zh.body, zh.url) == (
        "zh-hans",
        "阳光社工 已通过认证",
        "感谢您的捐赠\n截止时间：2026-05-01 10:30",
        "/notifications/",
    )
    assert (en.language, en.title, en.body, en.url) == (
        "en",
        "阳光社工 is verified",
        "Thank you for your donation\nDeadline: 2026-05-01 10:30",
        "/en/notifications/",
    )
    sent = {message.to[0]: message for message in mail.outbox}
    assert sent[chinese.email].subject == "阳光社工 已通过认证"
    assert (
        sent[chinese.email].body
        == "感谢您的捐赠\n截止时间：2026-05-01 10:30\n\nhttp://127.0.0.1:8000/notifications/\n"
    )
    assert sent[english.email].body == (
        "Thank you for your donation\nDeadline: 2026-05-01 10:30\n\nhttp://127.0.0.1:8000/en/notifications/\n"
    )


def test_notify_formats_plurals():
    english = _english(UserFactory())

    notify(
        users=[english],
        title=ngettext_lazy(
            "You have %(n)d review still to complete.",
            "You have %(n)d reviews still to complete.",
            "n",
        ),
        params={"n": 3},
        email=False,
    )

    assert Notification.objects.get(user=english).title == "You have 3 reviews still to complete."


def test_notify_takes_plain_text_literally():
    user = UserFactory()

    notify(users=[user], title="100% 完成", body="预算 50%(含自筹)", params={"x": 1})

    row = Notification.objects.get(user=user)
    assert (row.title, row.body) == ("100% 完成", "预算 50%(含自筹)")


def test_notify_skips_inactive_accounts_and_duplicates():
    active, inactive = UserFactory(), UserFactory(is_active=False)

    rows = notify(users=[active, active.pk, inactive], title="x", email=False)

    assert [row.user_id for row in rows] == [active.pk]
    assert Notification.objects.filter(user=inactive).count() == 0


def test_notify_mails_bare_addresses_without_an_in_app_notice(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        rows = notify(
            emails=["donor@example.org", " donor@example.org "],
            language="en",
            title=gettext_lazy("Thank you for your donation"),
        )

    assert [(row.user_id, row.email, row.title) for row in rows] == [
        (None, "donor@example.org", "Thank you for your donation")
    ]
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["donor@example.org"], "Thank you for your donation")
    ]
    assert Notification.objects.get().emailed_at is not None


def test_notify_in_a_rolled_back_transaction_leaves_nothing(django_capture_on_commit_callbacks):
    user = UserFactory()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            notify(users=[user], title="x")
            raise RuntimeError

    assert callbacks == []
    assert Notification.objects.count() == 0
    assert mail.outbox == []


def test_notify_with_email_false_queues_no_mail(django_capture_on_commit_callbacks):
    user = UserFactory()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notify(users=[user], title="x", email=False)

    assert callbacks == []
    assert Notification.objects.get(user=user).emailed_at is None


def test_email_task_sends_each_notification_once():
    user = UserFactory()
    (row,) = notify(users=[user], title="x", email=False)

    first = send_notification_emails.call(notification_ids=[row.pk])
    second = send_notification_emails.call(notification_ids=[row.pk])

    assert (first, second, len(mail.outbox)) == (1, 0, 1)


def test_email_task_skips_accounts_without_an_address():
    user = UserFactory(email="")
    (row,) = notify(users=[user], title="x", email=False)

    assert send_notification_emails.call(notification_ids=[row.pk]) == 0
    row.refresh_from_db()
    assert row.emailed_at is None


def test_email_task_releases_its_claim_when_sending_fails():
    user = UserFactory()
    (row,) = notify(users=[user], title="x", email=False)
    broken = mock.Mock()
    broken.send_messages.side_effect = OSError("smtp down")

    with (
        mock.patch("portal.core.notifications.tasks.get_connection", return_value=broken),
        pytest.raises(OSError),
    ):
        send_notification_emails.call(notification_ids=[row.pk])

    row.refresh_from_db()
    assert row.emailed_at is None
    assert send_notification_emails.call(notification_ids=[row.pk]) == 1


def test_user_language_defaults_to_the_site_language():
    user = UserFactory()
    UserProfile.objects.create(user=UserFactory(username="other"), preferred_language="en")

    assert user_language(user) == "zh-hans"


def test_set_language_refuses_languages_the_site_does_not_offer():
    user = UserFactory()

    assert set_language(user=user, language="fr") == "zh-hans"
    assert set_language(user=user, language="en") == "en"
    assert UserProfile.objects.get(user=user).preferred_language == "en"


def test_organization_members_are_notified_in_their_languages(django_capture_on_commit_callbacks):
    from organizations.services import notify_members

    owner = MembershipFactory(role=MemberRole.OWNER)
    editor = MembershipFactory(organization=owner.organization, role=MemberRole.EDITOR)
    _english(editor.user)

    with django_capture_on_commit_callbacks(execute=True):
        notify_members(
            organization=owner.organization,
            title=gettext_lazy("%(name)s is verified"),
            params={"name": "阳光"},
        )

    titles = dict(Notification.objects.values_list("user_id", "title"))
    assert titles == {owner.user_id: "阳光 已通过认证", editor.user_id: "阳光 is verified"}
    assert sorted(m.subject for m in mail.outbox) == ["阳光 is verified", "阳光 已通过认证"]


def test_notify_gives_a_path_written_in_english_the_chinese_prefix_for_chinese_readers():
    chinese, english = UserFactory(), _english(UserFactory())

    notify(users=[chinese, english], title="x", url="/en/notifications/?page=2", email=False)

    urls = dict(Notification.objects.values_list("user_id", "url"))
    assert urls == {chinese.pk: "/notifications/?page=2", english.pk: "/en/notifications/?page=2"}
