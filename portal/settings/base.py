"""Settings shared by every environment.

Everything that differs between environments comes from the process environment
(``django-environ``); ``production.py`` only tightens defaults and insists on secrets.
"""

import os
from pathlib import Path

import environ

from portal.core.wechat_login.config import provider_settings as wechat_login_settings

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env(
    DEBUG=(bool, False),
    ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost"]),
    SITE_URL=(str, "http://127.0.0.1:8000"),
    DEFAULT_CURRENCY=(str, "CNY"),
    STRIPE_SECRET_KEY=(str, ""),
    STRIPE_PUBLISHABLE_KEY=(str, ""),
    STRIPE_WEBHOOK_SECRET=(str, ""),
    STRIPE_API_BASE=(str, ""),
    MFA_REQUIRED_FOR_STAFF=(bool, True),
)
if os.environ.get("DJANGO_READ_DOT_ENV", "1") == "1":
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env("DEBUG")
SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production")
ALLOWED_HOSTS = env("ALLOWED_HOSTS")
SITE_URL = env("SITE_URL").rstrip("/")
WAGTAILADMIN_BASE_URL = SITE_URL
CSRF_TRUSTED_ORIGINS = [SITE_URL]

INSTALLED_APPS = [
    # Our apps first so their templates override third-party ones.
    "portal",
    "portal.core.notifications",
    "organizations",
    "projects",
    "projects.review",
    "funding",
    "projects.delivery",
    "projects.evaluation",
    # Wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.contrib.simple_translation",
    "wagtail.contrib.search_promotions",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.locales",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    # Accounts
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # Sign in with WeChat, only when WECHAT_LOGIN_APPID/SECRET are set (see below).
    "allauth.socialaccount",
    "allauth.socialaccount.providers.weixin",
    # Others
    "django_filters",
    # Named permissions: imports every app's rules.py at start-up (docs/security.md).
    "rules.apps.AutodiscoverRulesConfig",
    # Serves Swagger UI for /api/v1/docs from its own static files (no CDN).
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.humanize",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sitemaps",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "portal.core.csp.PortalCSPMiddleware",  # django-csp, relaxed for /admin/
    "allauth.account.middleware.AccountMiddleware",
    "portal.consent.ConsentMiddleware",  # PIPL: consent to the current privacy policy
    "organizations.middleware.AdminAccessMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "portal.core.db_routers.ReplicaReadMiddleware",
    "portal.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "portal" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "portal.context_processors.site_context",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
VAR_DIR.mkdir(exist_ok=True)
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let the web process and the task worker share the file.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Optional read replica for public pages (portal/core/db_routers.py; docs/deploy.md).
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"].update(
        {"CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True, "TEST": {"MIRROR": "default"}}
    )
    DATABASE_ROUTERS = ["portal.core.db_routers.PublicReadReplicaRouter"]
# GET/HEAD views whose reads may go to the replica (only when one is configured).
READ_REPLICA_VIEWS = [
    "projects:list",
    "projects:detail",
    "organizations:list",
    "organizations:detail",
    "stats",
]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://portal")}

# --- Auth & accounts (django-allauth) ----------------------------------------
# Named permissions (docs/security.md): ``rules`` predicates answer has_perm(name, obj);
# ModelBackend keeps Wagtail's group/model permissions (who may open which admin page).
AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "organizations:dashboard"
ACCOUNT_LOGIN_METHODS = {"email", "username"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
# Mail subjects carry no "[host:port]" prefix (the sites framework is not installed, so
# allauth would use the request host); the body names the portal (account/email/base_message.txt).
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
# Failed logins count per account, whether typed as username or email (portal/core/accounts.py).
ACCOUNT_ADAPTER = "portal.core.accounts.AccountAdapter"
# The privacy-policy consent box on the sign-up form (portal/consent.py).
ACCOUNT_SIGNUP_FORM_CLASS = "portal.consent.SignupConsentForm"
ACCOUNT_RATE_LIMITS = {
    "login_failed": "5/5m/ip,5/5m/key",
    "signup": "20/h/ip",
    "reset_password": "10/h/ip,5/h/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "公益创投平台"
# Staff and reviewers must enrol a TOTP device before using the admin.
MFA_REQUIRED_FOR_STAFF = env("MFA_REQUIRED_FOR_STAFF")
WAGTAILADMIN_LOGIN_URL = "account_login"
# Sign in with WeChat (portal/core/wechat_login; docs/configuration.md): a website app
# of the WeChat open platform (QR login), or an official account's web authorisation
# (WECHAT_LOGIN_AUTHORIZE_URL=https://open.weixin.qq.com/connect/oauth2/authorize,
# WECHAT_LOGIN_SCOPE=snsapi_userinfo). Without both app id and secret: no button, and
# /accounts/weixin/login/ answers 404. WECHAT_LOGIN_API_BASE points it at a local fake
# (tests, the payment sandbox); production refuses it.
WECHAT_LOGIN_APPID = env("WECHAT_LOGIN_APPID", default="")
WECHAT_LOGIN_SECRET = env("WECHAT_LOGIN_SECRET", default="")
WECHAT_LOGIN_AUTHORIZE_URL = env("WECHAT_LOGIN_AUTHORIZE_URL", default="")
WECHAT_LOGIN_SCOPE = env("WECHAT_LOGIN_SCOPE", default="")
WECHAT_LOGIN_API_BASE = env("WECHAT_LOGIN_API_BASE", default="")
SOCIALACCOUNT_PROVIDERS = {
    "weixin": wechat_login_settings(
        appid=WECHAT_LOGIN_APPID,
        secret=WECHAT_LOGIN_SECRET,
        api_base=WECHAT_LOGIN_API_BASE,
        authorize_url=WECHAT_LOGIN_AUTHORIZE_URL,
        scope=WECHAT_LOGIN_SCOPE,
    )
}
# WeChat gives no e-mail address: a first WeChat sign-in asks for one (and the privacy
# consent) on the sign-up form, and the address is verified like any other.
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_STORE_TOKENS = False

# --- Internationalisation -----------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
LOCALE_PATHS = [BASE_DIR / "portal" / "locale"]
TIME_ZONE = "Asia/Shanghai"
# Date and datetime inputs render ISO values in every language (see the module).
FORMAT_MODULE_PATH = ["portal.core.formats"]
USE_I18N = True
USE_TZ = True
DEFAULT_CURRENCY = env("DEFAULT_CURRENCY")

# --- Static & media ------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns on every request when it is missing
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
# Private uploads (evidence, agreements, attachments) live outside MEDIA_ROOT and are
# only ever served by views that check permission.
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=str(VAR_DIR / "private"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    # Private uploads and generated reports (portal.core.storage); production may use S3.
    "private": {"BACKEND": "portal.core.storage.PrivateFileSystemStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
MAX_UPLOAD_SIZE = 20 * 1024 * 1024

# --- Wagtail -------------------------------------------------------------------
WAGTAIL_SITE_NAME = "社会组织孵化与公益创投资助平台"
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["pdf", "docx", "xlsx", "doc", "xls", "csv", "txt", "odt", "ods"]
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp"]
WAGTAILADMIN_RICH_TEXT_EDITORS = {
    "default": {"WIDGET": "wagtail.admin.rich_text.DraftailRichTextArea"},
}

# --- Background tasks (django-tasks, database backend) ---------------------------
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "reports", "funding"],
    }
}
# Tasks safe to run again when their worker died mid-way (`manage.py requeue_stale_tasks`).
RETRYABLE_TASKS = ["portal.core.reports.generate_report"]

# --- Email ------------------------------------------------------------------------
EMAIL_CONFIG = env.email("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="公益创投平台 <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Payments -----------------------------------------------------------------------
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET")
STRIPE_API_BASE = env("STRIPE_API_BASE")
# WeChat Pay API v3, direct merchant (funding/providers/wechatpay.py; docs/configuration.md).
# Enabled when the merchant id, app id, APIv3 key, merchant certificate serial number and
# private key are set, plus either the platform public key and its id (recommended) or
# a directory for downloaded platform certificates.
WECHATPAY_MCHID = env("WECHATPAY_MCHID", default="")
WECHATPAY_APPID = env("WECHATPAY_APPID", default="")
WECHATPAY_API_V3_KEY = env("WECHATPAY_API_V3_KEY", default="")
WECHATPAY_CERT_SERIAL_NO = env("WECHATPAY_CERT_SERIAL_NO", default="")
WECHATPAY_PRIVATE_KEY = env("WECHATPAY_PRIVATE_KEY", default="")
WECHATPAY_PRIVATE_KEY_PATH = env("WECHATPAY_PRIVATE_KEY_PATH", default="")
WECHATPAY_PUBLIC_KEY = env("WECHATPAY_PUBLIC_KEY", default="")
WECHATPAY_PUBLIC_KEY_PATH = env("WECHATPAY_PUBLIC_KEY_PATH", default="")
WECHATPAY_PUBLIC_KEY_ID = env("WECHATPAY_PUBLIC_KEY_ID", default="")
WECHATPAY_CERT_DIR = env("WECHATPAY_CERT_DIR", default="")
WECHATPAY_H5 = env.bool("WECHATPAY_H5", default=True)
WECHATPAY_API_BASE = env("WECHATPAY_API_BASE", default="")
# Alipay open platform (funding/providers/alipay.py; docs/configuration.md): enabled when
# the app id, the app private key and Alipay's public key are set.
ALIPAY_APPID = env("ALIPAY_APPID", default="")
ALIPAY_APP_PRIVATE_KEY = env("ALIPAY_APP_PRIVATE_KEY", default="")
ALIPAY_APP_PRIVATE_KEY_PATH = env("ALIPAY_APP_PRIVATE_KEY_PATH", default="")
ALIPAY_PUBLIC_KEY = env("ALIPAY_PUBLIC_KEY", default="")
ALIPAY_PUBLIC_KEY_PATH = env("ALIPAY_PUBLIC_KEY_PATH", default="")
ALIPAY_SANDBOX = env.bool("ALIPAY_SANDBOX", default=False)
ALIPAY_API_BASE = env("ALIPAY_API_BASE", default="")

# --- Funding limits ---------------------------------------------------------------------
# Smallest and largest single online gift, in fen (funding.services.donations).
FUNDING_MIN_DONATION = 100
FUNDING_MAX_DONATION = 50_000_000
# Velocity limits on online checkouts: at most this many per client address and per
# e-mail address within FUNDING_VELOCITY_MINUTES; the next one is refused and the
# earlier gifts in the window are flagged for finance review.
FUNDING_VELOCITY_PER_IP = 10
FUNDING_VELOCITY_PER_EMAIL = 5
FUNDING_VELOCITY_MINUTES = 10
# How long a live-matching reservation is held during checkout (funding.services.matching).
FUNDING_RESERVATION_MINUTES = 30
# Payment-provider notifications: attempts before an inbox event is marked failed, and
# the window in which a burst of arrivals shares one worker kick (funding.services.inbox).
FUNDING_INBOX_MAX_ATTEMPTS = 8
FUNDING_INBOX_KICK_SECONDS = 1
# Residents' feedback on projects: (attempts, seconds) per signed-in user and per client
# address (projects.evaluation.public_views).
EVALUATION_FEEDBACK_USER_RATE = (10, 3600)
EVALUATION_FEEDBACK_IP_RATE = (30, 3600)

# --- Security -----------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "SAMEORIGIN"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        # Strict: no inline script or style (no 'unsafe-inline', no nonce: public pages are
        # cached server-side, a nonce would go stale). Pages with pygal charts add
        # 'unsafe-inline' to style-src (portal.core.csp.allow_inline_styles).
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'self'"],
        # Payment pages the donate flow redirects to after a form POST (browsers apply
        # form-action to redirects): Stripe Checkout, WeChat Pay H5, Alipay's gateway.
        "form-action": [
            "'self'",
            "https://checkout.stripe.com",
            "https://wx.tenpay.com",
            "https://openapi.alipay.com",
            "https://openapi-sandbox.dl.alipaydev.com",
        ],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
# A local Alipay gateway (tests, the payment sandbox of `make run`; production refuses
# ALIPAY_API_BASE) is where the donate form's redirect goes instead.
if ALIPAY_API_BASE:
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"].append(ALIPAY_API_BASE.rstrip("/"))
# "Sign in with WeChat" is a form POST redirected to WeChat's authorisation page.
CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"].append(
    WECHAT_LOGIN_API_BASE.rstrip("/") or "https://open.weixin.qq.com"
)
# The Wagtail admin (everything under /admin/) ships inline scripts and styles: there
# these directives replace the strict ones (portal.core.csp.PortalCSPMiddleware).
CONTENT_SECURITY_POLICY_ADMIN = {
    "style-src": ["'self'", "'unsafe-inline'"],
    "script-src": ["'self'", "'unsafe-inline'"],
}

# Security headers, cookies and uploads (docs/security.md); production.py adds the
# Secure cookie flags, HSTS and the HTTPS redirect.
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Images are re-encoded by Pillow on upload (EXIF and appended data dropped); bigger
# images are refused before decoding, SVG is never accepted.
MAX_IMAGE_PIXELS = 40_000_000
WAGTAILIMAGES_MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
WAGTAILIMAGES_IMAGE_FORM_BASE = "portal.core.uploads.WagtailImageForm"
# Private (restricted) pages send visitors to allauth's login, never Wagtail's own form.
WAGTAIL_FRONTEND_LOGIN_URL = "/accounts/login/"

# --- PDF ----------------------------------------------------------------------------
# Font family names handed to WeasyPrint (fontconfig); WenQuanYi Micro Hei is a
# TrueType CJK font from Debian's fonts-wqy-microhei, installed by `make`.
PDF_FONT_FAMILY = env("PDF_FONT_FAMILY", default="WenQuanYi Micro Hei")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "fontTools": {"level": "WARNING"},
        "weasyprint": {"level": "ERROR"},
        "wagtail": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
        "django_tasks_db": {"level": "WARNING"},
    },
}
