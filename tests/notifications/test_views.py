"""Choosing the language one is written to: at sign-up and on the notifications page."""

import pytest
from django.contrib.auth import get_user_model
from wagtail.users.models import UserProfile

from portal.core.notifications.services import user_language
from tests.factories.organizations import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("prefix", "language"), [("/en", "en"), ("", "zh-hans")])
def test_signup_remembers_the_language_signed_up_in(client, prefix, language):
    client.post(
        f"{prefix}/accounts/signup/",
        {
            "email": "new@example.org",
            "username": "newcomer",
            "password1": "a-Long-pass-2026",
            "password2": "a-Long-pass-2026",
        },
    )

    user = get_user_model().objects.get(username="newcomer")
    assert UserProfile.objects.get(user=user).preferred_language == language


def test_notifications_page_offers_the_language_choice(client):
    user = UserFactory()
    UserProfile.objects.create(user=user, preferred_language="en")
    client.force_login(user)

    html = client.get("/notifications/").content.decode()

    assert 'action="/notifications/language/"' in html
    assert '<option value="en" selected>English</option>' in html
    assert '<option value="zh-hans">简体中文</option>' in html
    assert 'name="next" value="/notifications/"' in html


def test_choosing_a_language_saves_it_and_returns(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post(
        "/en/notifications/language/", {"language": "en", "next": "/en/notifications/"}
    )

    assert response["Location"] == "/en/notifications/"
    assert user_language(user) == "en"
    page = client.get("/en/notifications/").content.decode()
    assert "Your notifications and e-mails will use this language." in page


def test_choosing_an_unknown_language_changes_nothing(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post("/notifications/language/", {"language": "fr", "next": "/"})

    assert response["Location"] == "/"
    assert user_language(user) == "zh-hans"
    assert not UserProfile.objects.filter(user=user).exists()
    page = client.get("/notifications/").content.decode()
    assert "请选择提供的语言之一。" in page


def test_choosing_a_language_never_redirects_off_site(client):
    client.force_login(UserFactory())

    response = client.post(
        "/notifications/language/", {"language": "en", "next": "https://evil.example/"}
    )

    assert response["Location"] == "/"


def test_choosing_a_language_needs_a_login(client):
    response = client.post("/notifications/language/", {"language": "en"})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert UserProfile.objects.count() == 0
