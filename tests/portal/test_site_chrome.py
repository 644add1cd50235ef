"""What every page carries: icon, footer links to every public section, local avatars, and
account e-mails that name the portal rather than the host that served the request."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from portal.wagtail_hooks import initials_avatar_url

pytestmark = pytest.mark.django_db


def test_favicon_ico_points_at_the_static_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"].endswith("portal/favicon.ico")


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_footer_reaches_every_public_section(client, site_pages, prefix):
    html = client.get(f"{prefix}/").content.decode()
    footer = html[html.index('<footer class="site-footer">') :]
    links = re.findall(r'<a href="([^"]+)"', footer)

    expected = [
        f"{prefix}/projects/",
        f"{prefix}/organizations/",
        f"{prefix}/needs/",
        f"{prefix}/incubation/",
        f"{prefix}/stats/",
        f"{prefix}/donate/",
        "/api/v1/",
    ]
    for url in expected:
        assert url in links, f"{url} missing from the footer: {links}"
    for url in expected:
        assert client.get(url).status_code == 200, url
    assert 'rel="icon"' in html


def test_avatar_is_drawn_locally_with_the_surname_initial():
    user = get_user_model()(pk=7, username="wang", last_name="王", first_name="小明")

    url = initials_avatar_url(user, 50)

    assert url.startswith("data:image/svg+xml,")
    assert "%E7%8E%8B" in url  # 王, URL-encoded
    assert "gravatar" not in url


def test_admin_pages_show_no_gravatar(client, site_pages):
    admin = get_user_model().objects.create_superuser(
        "root", "root@example.org", "pw-long-enough-1"
    )
    # an operator's first sign-in agrees to the privacy policy (portal/consent.py)
    client.force_login(admin)
    assert client.get("/admin/")["Location"].startswith("/me/consent/")
    client.post("/me/consent/", {"agree": "on"})

    html = client.get("/admin/").content.decode()

    assert "gravatar.com" not in html
    assert "data:image/svg+xml," in html


def test_account_mail_names_the_portal_not_the_host(client, site_pages):
    get_user_model().objects.create_user("li", "li@example.org", "pw-long-enough-1")

    client.post(
        "/accounts/password/reset/", {"email": "li@example.org"}, HTTP_HOST="127.0.0.1:8411"
    )

    (message,) = mail.outbox
    assert "127.0.0.1" not in message.subject
    assert "127.0.0.1:8411" not in message.body.splitlines()[0]
    assert "社会组织孵化与公益创投资助平台" in message.body.splitlines()[0]
