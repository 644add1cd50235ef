"""Production: everything from the environment; refuses to start without secrets."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

REQUIRED = ["SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS", "SITE_URL"]
missing = [name for name in REQUIRED if not env.str(name, default="")]
if missing:
    raise ImproperlyConfigured(
        "Production settings need these environment variables: " + ", ".join(missing)
    )
if env.str("SECRET_KEY").startswith("dev-only") or len(env.str("SECRET_KEY")) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be a random string of at least 50 characters")
if env.str("DATABASE_URL").startswith("sqlite"):
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL in production")
STRIPE_REQUIRED = ["STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET"]
stripe_set = [name for name in STRIPE_REQUIRED if env.str(name, default="")]
if stripe_set and len(stripe_set) != len(STRIPE_REQUIRED):
    # Online payment is optional (mainland deployments import platform records instead),
    # but half a Stripe configuration would take money without confirming it.
    raise ImproperlyConfigured(
        "Set all of STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY, STRIPE_WEBHOOK_SECRET or none; "
        "missing: " + ", ".join(n for n in STRIPE_REQUIRED if n not in stripe_set)
    )
if env.str("STRIPE_API_BASE", default=""):
    raise ImproperlyConfigured("STRIPE_API_BASE is for tests and development only")

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
MFA_REQUIRED_FOR_STAFF = env.bool("MFA_REQUIRED_FOR_STAFF", default=True)
# The Wagtail admin previews pages in a same-origin iframe, so X-Frame-Options stays
# SAMEORIGIN (CSP frame-ancestors 'self' says the same) instead of DENY.
SILENCED_SYSTEM_CHECKS = ["security.W019"]
