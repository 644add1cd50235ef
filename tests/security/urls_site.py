"""How to build a concrete URL for every named site (non-admin) pattern from the world.

Each entry maps a URL name to a function ``world -> kwargs`` for ``reverse()`` (or a
string: the literal path to request, for patterns ``reverse`` cannot express)."""

from django.urls import reverse

from .world import World


def _path(w: World, name: str, **kwargs) -> str:
    return reverse(name, kwargs=kwargs)


SITE_URLS = {
    "healthz": lambda w: {},
    "robots_txt": lambda w: {},
    "favicon": lambda w: {},
    "sitemap": lambda w: {},
    "javascript-catalog": lambda w: {},
    "api-v1:api-root": lambda w: {},
    "api-v1:index": lambda w: {},
    "api-v1:openapi-json": lambda w: {},
    "api-v1:openapi-view": lambda w: {},
    "api-v1:list_projects": lambda w: {},
    "api-v1:get_project": lambda w: {"project_id": w.project.pk},
    "api-v1:list_calls": lambda w: {},
    "api-v1:get_call": lambda w: {"call_id": w.call.pk},
    "api-v1:list_organizations": lambda w: {},
    "api-v1:get_organization": lambda w: {"organization_id": w.org.pk},
    "api-v1:stats": lambda w: {},
    "wagtaildocs_serve": lambda w: w.wagtail_document.url,
    "funding:stripe_webhook": lambda w: {},
    "funding:notify": lambda w: {"provider": "stripe"},
    "report_batch": lambda w: {"batch_id": "0" * 32},
    "report_download": lambda w: {"kind": "receipt", "obj_id": w.receipt.pk, "language": "zh-hans"},
    # Accounts (django-allauth).
    "account_login": lambda w: {},
    "account_logout": lambda w: {},
    "account_inactive": lambda w: {},
    "account_signup": lambda w: {},
    "account_reauthenticate": lambda w: {},
    "account_request_reauthentication_code": lambda w: {},
    "account_confirm_reauthentication_code": lambda w: {},
    "account_email": lambda w: {},
    "account_email_verification_sent": lambda w: {},
    "account_change_password": lambda w: {},
    "account_set_password": lambda w: {},
    "account_reset_password": lambda w: {},
    "account_confirm_login_code": lambda w: {},
    "account_confirm_email": lambda w: {"key": "not-a-key"},
    "account_reset_password_from_key_done": lambda w: {},
    "account_reset_password_from_key": lambda w: {"uidb36": "zz", "key": "not-a-key"},
    "account_reset_password_done": lambda w: {},
    "socialaccount_login_cancelled": lambda w: {},
    "socialaccount_signup": lambda w: {},
    "socialaccount_connections": lambda w: {},
    "accounts/social/login/cancelled/": lambda w: "/accounts/social/login/cancelled/",
    "accounts/social/login/error/": lambda w: "/accounts/social/login/error/",
    "accounts/social/signup/": lambda w: "/accounts/social/signup/",
    "accounts/social/connections/": lambda w: "/accounts/social/connections/",
    "weixin_login": lambda w: {},
    "weixin_callback": lambda w: {},
    "mfa_index": lambda w: {},
    "mfa_authenticate": lambda w: {},
    "mfa_reauthenticate": lambda w: {},
    "mfa_activate_totp": lambda w: {},
    "mfa_deactivate_totp": lambda w: {},
    "mfa_view_recovery_codes": lambda w: {},
    "mfa_generate_recovery_codes": lambda w: {},
    "mfa_download_recovery_codes": lambda w: {},
    # Site shell.
    "search": lambda w: {},
    "toggle_large_text": lambda w: {},
    "public_feed": lambda w: {},
    "stats": lambda w: {},
    "my_data": lambda w: {},
    "privacy_consent": lambda w: {},
    "privacy_consent_withdraw": lambda w: {"pk": 1},
    # Organizations.
    "organizations:list": lambda w: {},
    "organizations:detail": lambda w: {"slug": w.org.slug},
    "organizations:dashboard": lambda w: {},
    "organizations:create": lambda w: {},
    "organizations:manage": lambda w: {"slug": w.org.slug},
    "organizations:edit": lambda w: {"slug": w.org.slug},
    "organizations:submit": lambda w: {"slug": w.org.slug},
    "organizations:document_upload": lambda w: {"slug": w.org.slug},
    "organizations:document": lambda w: {"slug": w.org.slug, "pk": w.document.pk},
    "organizations:invite": lambda w: {"slug": w.org.slug},
    "organizations:member_role": lambda w: {"slug": w.org.slug, "pk": w.owner_membership.pk},
    "organizations:member_remove": lambda w: {"slug": w.org.slug, "pk": w.owner_membership.pk},
    "organizations:invitation_revoke": lambda w: {"slug": w.org.slug, "pk": w.invitation.pk},
    "organizations:invitation": lambda w: {"token": w.invitation.token},
    "organizations:cohorts": lambda w: {},
    "organizations:cohort": lambda w: {"slug": w.residency.cohort.slug},
    "organizations:residency": lambda w: {"pk": w.residency.pk},
    "organizations:agreement_upload": lambda w: {"pk": w.residency.pk},
    "organizations:agreement": lambda w: {"pk": w.residency.pk},
    "organizations:service_log": lambda w: {"pk": w.residency.pk},
    "organizations:assessment": lambda w: {"pk": w.residency.pk},
    # Projects and applications.
    "projects:list": lambda w: {},
    "projects:detail": lambda w: {"slug": w.project.slug},
    "projects:project_english": lambda w: {"slug": w.project.slug},
    "projects:start_application": lambda w: {"call_id": w.call.pk},
    "projects:application_list": lambda w: {},
    "projects:application_detail": lambda w: {"pk": w.draft.pk},
    "projects:application_step": lambda w: {"pk": w.draft.pk, "step": "basic"},
    "projects:application_autosave": lambda w: {"pk": w.draft.pk, "step": "basic"},
    "projects:application_submit": lambda w: {"pk": w.draft.pk},
    "projects:application_withdraw": lambda w: {"pk": w.draft.pk},
    "projects:appeal_submit": lambda w: {"pk": w.draft.pk},
    "projects:appeal_withdraw": lambda w: {"pk": w.draft.pk},
    "projects:application_attachment_upload": lambda w: {"pk": w.draft.pk},
    "projects:application_attachment": lambda w: {
        "pk": w.draft.pk,
        "attachment_pk": w.attachment.pk,
    },
    "projects:application_attachment_delete": lambda w: {
        "pk": w.draft.pk,
        "attachment_pk": w.attachment.pk,
    },
    "projects:notifications": lambda w: {},
    "notifications:language": lambda w: {},
    "projects:need_list": lambda w: {},
    "projects:need_create": lambda w: {},
    "projects:need_detail": lambda w: {"pk": w.need.pk},
    "projects:need_support": lambda w: {"pk": w.need.pk},
    "projects:need_photo": lambda w: {"pk": w.need.pk, "photo_pk": w.photo.pk},
    "evaluation_public:feedback": lambda w: {"slug": w.project.slug},
    "evaluation_public:brand_list": lambda w: {},
    "evaluation_public:replicate": lambda w: {"slug": w.project.slug},
    # Funding (public).
    "funding_public:donate_general": lambda w: {},
    "funding_public:donate": lambda w: {"slug": w.project.slug},
    "funding_public:confirm": lambda w: {"token": w.donation.access_token},
    "funding_public:status": lambda w: {"token": w.donation.access_token},
    "funding_public:scan": lambda w: {"token": w.donation.access_token},
    "funding_public:wechat_pay": lambda w: {"token": w.donation.access_token},
    "funding_public:state": lambda w: {"token": w.donation.access_token},
    "funding_public:pledge_general": lambda w: {},
    "funding_public:pledge": lambda w: {"slug": w.project.slug},
    "funding_public:pledge_detail": lambda w: {"token": "no-such-pledge"},
    "funding_public:receipt_pdf": lambda w: {"token": w.donation.access_token},
    "funding_public:official_receipt": lambda w: {"token": w.donation.access_token},
    "funding_public:test_checkout": lambda w: {"token": w.donation.access_token},
    "funding_public:settlement": lambda w: {"call_id": w.call.pk},
    # Wagtail's front end.
    "wagtailcore_login": lambda w: {},
    "wagtail_serve": lambda w: w.call.url,
}

# Patterns that cannot be requested meaningfully with a GET from fixture data.
SITE_UNBUILDABLE = {
    "wagtaildocs_authenticate_with_password": "needs a password view restriction on a "
    "document collection; the portal defines none",
    "wagtailcore_authenticate_with_password": "needs a password view restriction on a "
    "page; the portal defines none",
}


def build(name: str, w: World) -> str:
    spec = SITE_URLS[name](w)
    if isinstance(spec, str):
        return spec
    return reverse(name, kwargs=spec)
