import pytest
from django.conf import settings


@pytest.fixture(autouse=True)
def _media_dirs(settings, tmp_path):
    """Every test writes uploads to its own temporary folders."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture(autouse=True)
def _default_language():
    """Start every test in the default language, whatever an earlier test activated."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _clear_cache():
    """Wagtail caches site root paths (page ids) and allauth caches rate limits: a
    test must never see another test's entries."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _clear_account_cache():
    """Ledger accounts are cached per process once committed; a test's rolled-back
    accounts must not leak into the next test."""
    from funding.services.ledger import clear_account_cache

    clear_account_cache()
    yield
    clear_account_cache()


@pytest.fixture
def admin_user(db):
    """pytest-django's superuser, built as an operator's account is: a verified address
    and consent to the privacy policy (given at their first sign-in, portal/consent.py)."""
    from tests.factories.organizations import UserFactory

    return UserFactory(
        username="admin", email="admin@example.com", is_staff=True, is_superuser=True
    )


@pytest.fixture
def site_pages(db):
    """Home pages (zh-hans + en), content pages, news and footers, as in the demo."""
    import random

    from portal.demo import DemoContext, seed_site

    ctx = DemoContext(size="small", rng=random.Random(1), log=lambda msg: None)
    seed_site(ctx)
    return ctx.shared["homes"]


@pytest.fixture
def is_postgres():
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
