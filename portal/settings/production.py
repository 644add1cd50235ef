"""Production: everything from the environment; refuses to start without secrets."""

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

REQUIRED = ["SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS", "SITE_URL"]
missing = [name for name in REQUIRED if not env.str(name, default="")]
if missing:
    raise ImproperlyConfigured(
        "Production settings need these environment variables: " + ", ".join(missing)
    )
_site = urlsplit(env.str("SITE_URL"))
_hosts = env.list("ALLOWED_HOSTS")
if (
    _site.scheme != "https"
    or not _site.hostname
    or _site.path.strip("/")
    or _site.hostname in {"localhost", "127.0.0.1", "::1"}
    or not any(
        _site.hostname == h or (h.startswith(".") and _site.hostname.endswith(h)) for h in _hosts
    )
):
    # Links in e-mails, notifications, receipts and QR codes are built from SITE_URL;
    # a development default here sends every recipient to a machine that is not theirs.
    raise ImproperlyConfigured(
        "SITE_URL must be the public https:// address of the site (no path), and its host "
        "must be in ALLOWED_HOSTS; got " + repr(env.str("SITE_URL"))
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
if env.str("ALIPAY_API_BASE", default=""):
    raise ImproperlyConfigured("ALIPAY_API_BASE is for tests and development only")
if env.str("WECHATPAY_API_BASE", default=""):
    raise ImproperlyConfigured("WECHATPAY_API_BASE is for tests and development only")
if env.str("WECHAT_LOGIN_API_BASE", default=""):
    raise ImproperlyConfigured("WECHAT_LOGIN_API_BASE is for tests and development only")

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    "private": {"BACKEND": "portal.core.storage.PrivateFileSystemStorage"},
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

# --- Scale-out: shared cache, sessions, media storage (see docs/deploy.md) ------------
# CACHE_URL (redis://host:6379/1) is parsed in base.py. Several app servers need one
# shared cache: the public page cache's generation counter, allauth's login/signup rate
# limits and the sessions below all live there. With the per-process locmem default each
# server would rate-limit and invalidate on its own.
CACHE_IS_SHARED = not CACHES["default"]["BACKEND"].endswith("LocMemCache")  # noqa: F405
if CACHE_IS_SHARED:
    # Sessions read from the cache, written through to the database: a Redis restart
    # logs nobody out.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    CACHES["default"].setdefault("KEY_PREFIX", env.str("CACHE_KEY_PREFIX", default="portal"))  # noqa: F405
    CACHES["default"].setdefault("TIMEOUT", 300)  # noqa: F405

# Public media (Wagtail images and documents, organization logos) on S3-compatible
# storage when a bucket is configured (AWS_STORAGE_BUCKET_NAME). Private uploads and
# generated PDFs go to STORAGES["private"]: a private bucket when PRIVATE_S3_BUCKET is
# set, else PRIVATE_MEDIA_ROOT (then a shared volume on every app server and worker).
# Either way they are only ever streamed by permission-checked views, never linked.
AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default="") or None
AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default="") or None
PRIVATE_S3_BUCKET = env.str("PRIVATE_S3_BUCKET", default="")
if PRIVATE_S3_BUCKET:
    from portal.core.storage import s3_private_backend

    _private_prefix = env.str("PRIVATE_S3_LOCATION", default="private").strip("/") + "/"
    _public_prefix = env.str("AWS_LOCATION", default="media").strip("/") + "/"
    if PRIVATE_S3_BUCKET == env.str("AWS_STORAGE_BUCKET_NAME", default="") and (
        _private_prefix.startswith(_public_prefix) or _public_prefix.startswith(_private_prefix)
    ):
        # Sharing one bucket is only safe when the public-read policy covers the public
        # prefix alone; overlapping prefixes would publish private files.
        raise ImproperlyConfigured(
            "PRIVATE_S3_LOCATION and AWS_LOCATION overlap in the same bucket; use a separate "
            "private bucket (recommended) or disjoint prefixes"
        )
    STORAGES["private"] = s3_private_backend(  # noqa: F405
        bucket=PRIVATE_S3_BUCKET,
        location=env.str("PRIVATE_S3_LOCATION", default="private"),
        endpoint_url=env.str("PRIVATE_S3_ENDPOINT_URL", default="") or AWS_S3_ENDPOINT_URL,
        region_name=env.str("PRIVATE_S3_REGION_NAME", default="") or AWS_S3_REGION_NAME,
        # A key pair for the private bucket only; default: boto3's chain (AWS_* / role).
        access_key=env.str("PRIVATE_S3_ACCESS_KEY_ID", default="") or None,
        secret_key=env.str("PRIVATE_S3_SECRET_ACCESS_KEY", default="") or None,
        addressing_style=env.str("AWS_S3_ADDRESSING_STYLE", default="") or None,
    )
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    AWS_S3_CUSTOM_DOMAIN = env.str("AWS_S3_CUSTOM_DOMAIN", default="") or None
    # Credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from the environment (read by
    # boto3 itself) or the instance role; never in settings files.
    STORAGES["default"] = {  # noqa: F405
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "location": env.str("AWS_LOCATION", default="media"),
            "default_acl": None,  # the bucket policy decides; public-read for media
            "querystring_auth": env.bool("AWS_QUERYSTRING_AUTH", default=False),
            "file_overwrite": False,
            "endpoint_url": AWS_S3_ENDPOINT_URL,
            "region_name": AWS_S3_REGION_NAME,
            "custom_domain": AWS_S3_CUSTOM_DOMAIN,
        },
    }
    if AWS_S3_CUSTOM_DOMAIN:
        MEDIA_URL = f"https://{AWS_S3_CUSTOM_DOMAIN}/"
    # Images must be loadable from the bucket's host.
    _media_host = AWS_S3_CUSTOM_DOMAIN or AWS_S3_ENDPOINT_URL or "https://*.amazonaws.com"
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].append(  # noqa: F405
        _media_host if "://" in _media_host else f"https://{_media_host}"
    )
