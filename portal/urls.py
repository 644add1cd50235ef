from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from organizations.middleware import staff_mfa_required
from portal import consent, privacy, views
from portal.api import api as open_data_api
from portal.core import reports
from portal.core.cache import cache_anonymous_page
from portal.feeds import CallsAndProjectsFeed
from portal.sitemaps import MultilingualSitemap
from portal.stats import stats_page

handler404 = "portal.views.page_not_found"
handler500 = "portal.views.server_error"

# Language-neutral endpoints: machines, the admin (it follows each user's preference).
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("api/v1/", open_data_api.urls),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("sitemap.xml", sitemap, {"sitemaps": {"pages": MultilingualSitemap}}, name="sitemap"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("funding/", include("funding.urls")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    # Staff accounts download reports with a session that passed two-factor.
    path(
        "reports/batches/<str:batch_id>/",
        staff_mfa_required(reports.download_report_batch),
        name="report_batch",
    ),
    path(
        "reports/<slug:kind>/<id:obj_id>/<str:language>.pdf",
        staff_mfa_required(reports.download_report),
        name="report_download",
    ),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Chinese at /, English at /en/.
urlpatterns += i18n_patterns(
    path("accounts/", include("allauth.urls")),
    path("search/", views.search, name="search"),
    path("a11y/large-text/", views.toggle_large_text, name="toggle_large_text"),
    path("feeds/updates.atom", cache_anonymous_page(CallsAndProjectsFeed()), name="public_feed"),
    path("stats/", stats_page, name="stats"),
    path("me/data.json", privacy.download_my_data, name="my_data"),
    path("me/consent/", consent.consent_view, name="privacy_consent"),
    path("me/consent/<id:pk>/withdraw/", consent.withdraw_view, name="privacy_consent_withdraw"),
    path("", include("portal.core.notifications.urls")),
    path("", include("organizations.urls")),
    path("", include("projects.urls")),
    path("", include("funding.public_urls")),
    path("", include("projects.delivery.urls")),
    path("", include("projects.evaluation.urls")),
    # Wagtail's front-end login would bypass allauth's rate limits and two-factor step.
    path(
        "_util/login/",
        RedirectView.as_view(pattern_name="account_login", query_string=True),
        name="wagtailcore_login",
    ),
    path("", include(wagtail_urls)),
    prefix_default_language=False,
)
