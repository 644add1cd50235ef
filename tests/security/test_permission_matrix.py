"""Permission matrix generated from the URLconf.

Every URL pattern of the project is either requested for every role and compared with
the expected outcome below, or listed in ``NOT_REQUESTED`` with the reason. A new URL
pattern that is neither makes ``test_every_url_pattern_is_classified`` fail, so a new view
cannot ship without someone deciding who may open it.

Outcome letters (see ``matrix.py``), one per role in this order:
anonymous, applicant (member of the organization that owns the data), other_member
(member of another organization), reviewer, conflicted (a reviewer recused from the
application), evaluator, finance, staff (programme officer), superuser.
``O`` 2xx, ``L`` redirect to login, ``D`` 403 / sent away by the admin, ``N`` 404,
``M`` 405, ``R`` another redirect.

Admin views: every admin URL is requested for anonymous users and organization members
(who must never get in). Admin users are checked on every admin URL without arguments
(list, create and report pages) and on the object URLs in ``ADMIN_OBJECTS``; object
URLs of a viewset listed in ``ADMIN_OBJECT_NAMESPACES`` inherit the viewset's own
permission checks (Wagtail's permission policy, covered by the list pages). Staff log in
with TOTP enrolled (their sessions passed the code step) and ``MFA_REQUIRED_FOR_STAFF``
on, as in production.

Runtime: the world is built once per module (per xdist worker) inside a transaction that
is rolled back at the end; every test item runs in its own savepoint on top of it, so a
request that writes (a report refreshed on download, a notification marked read) cannot
leak into the next item. Items are one role × one URL table (site, admin outsiders,
admin pages), so ``pytest -n`` spreads the matrix over the workers.
"""

import re

import pytest
from django.db import transaction
from django.test import Client, override_settings
from django.urls import resolve, reverse

from organizations.middleware import has_totp

from .matrix import classify, routes
from .mfa import login_with_mfa
from .urls_site import SITE_UNBUILDABLE, SITE_URLS, build
from .world import ROLES, build_world

pytestmark = pytest.mark.django_db

PUBLIC = "OOOOOOOOO"
MEMBERS_ONLY = "LOOOOOOOO"  # any signed-in user
POST_ONLY = "LMMMMMMMM"  # login first, then the view refuses GET

SITE = {
    "healthz": PUBLIC,
    "robots_txt": PUBLIC,
    "favicon": "RRRRRRRRR",  # redirects to the static icon
    "sitemap": PUBLIC,
    "javascript-catalog": PUBLIC,
    "api-v1:openapi-json": PUBLIC,
    "api-v1:openapi-view": PUBLIC,
    "api-v1:list_projects": PUBLIC,
    "api-v1:get_project": PUBLIC,
    "api-v1:list_calls": PUBLIC,
    "api-v1:get_call": PUBLIC,
    "api-v1:list_organizations": PUBLIC,
    "api-v1:get_organization": PUBLIC,
    "api-v1:stats": PUBLIC,
    "api-v1:api-root": PUBLIC,
    "api-v1:index": PUBLIC,
    "wagtaildocs_serve": PUBLIC,
    "funding:stripe_webhook": "MMMMMMMMM",
    "funding:notify": "MMMMMMMMM",
    # Reports: each kind names its permission (docs/security.md). A batch is programme
    # staff's (a missing one is a 404). A receipt: the account that gave (the applicant),
    # finance officers and administrators; a programme officer has no need for it.
    "report_batch": "LDDDDDDNN",
    "report_download": "LODDDDODO",
    # Accounts.
    "account_login": "ODDDDDDDD",
    "account_logout": "ROOOOOOOO",
    "account_inactive": PUBLIC,
    "account_signup": "ODDDDDDDD",
    "account_reauthenticate": MEMBERS_ONLY,
    "account_request_reauthentication_code": MEMBERS_ONLY,
    "account_confirm_reauthentication_code": "LRRRRRRRR",
    "account_email": MEMBERS_ONLY,
    "account_email_verification_sent": PUBLIC,
    "account_change_password": MEMBERS_ONLY,
    "account_set_password": "LRRRRRRRR",
    "account_reset_password": PUBLIC,
    "account_confirm_login_code": "LDDDDDDDD",
    "account_confirm_email": PUBLIC,
    "account_reset_password_from_key_done": PUBLIC,
    "account_reset_password_from_key": PUBLIC,
    "account_reset_password_done": PUBLIC,
    # Third-party sign-in (allauth.socialaccount; WeChat only, and only when configured:
    # the matrix site has no WeChat app, so its login URLs answer 404; the configured
    # flow is tests/organizations/test_wechat_login.py).
    "socialaccount_login_cancelled": PUBLIC,
    "socialaccount_signup": "LLLLLLLLL",  # sent to sign-in: no pending WeChat login to finish
    "socialaccount_connections": MEMBERS_ONLY,
    "accounts/social/login/cancelled/": "RRRRRRRRR",  # allauth's deprecated redirects
    "accounts/social/login/error/": "RRRRRRRRR",
    "accounts/social/signup/": "RRRRRRRRR",
    "accounts/social/connections/": "RRRRRRRRR",
    "weixin_login": "NNNNNNNNN",
    "weixin_callback": "NNNNNNNNN",
    "mfa_index": MEMBERS_ONLY,
    "mfa_authenticate": "LDDDDDDDD",
    # Admin users have TOTP enrolled: they may re-authenticate or switch it off.
    "mfa_reauthenticate": "LRROOOOOO",
    "mfa_activate_totp": "LRRRRRRRR",
    "mfa_deactivate_totp": "LNNRRRRRR",
    "mfa_view_recovery_codes": "LNNNNNNNN",
    "mfa_generate_recovery_codes": "LRRRRRRRR",
    "mfa_download_recovery_codes": "LNNNNNNNN",
    # Site shell.
    "search": PUBLIC,
    "public_feed": PUBLIC,
    "stats": PUBLIC,
    # The person's own export asks for the password again (reauthentication) first.
    "my_data": "LRRRRRRRR",
    # Consent to the privacy policy: the page answers every signed-in person (these have
    # agreed: "you have agreed to version …"); withdrawing is a POST of one's own consent.
    "privacy_consent": MEMBERS_ONLY,
    "privacy_consent_withdraw": POST_ONLY,
    "toggle_large_text": "RRRRRRRRR",
    # Organizations: private pages for members of that organization and programme staff.
    "organizations:list": PUBLIC,
    "organizations:detail": PUBLIC,
    "organizations:dashboard": MEMBERS_ONLY,
    "organizations:create": MEMBERS_ONLY,
    "organizations:manage": "LODDDDDOO",
    "organizations:edit": "LODDDDDOO",
    "organizations:submit": POST_ONLY,
    "organizations:document_upload": "LODDDDDOO",
    "organizations:document": "LODDDDDOO",
    "organizations:invite": "LODDDDDOO",
    "organizations:member_role": POST_ONLY,
    "organizations:member_remove": POST_ONLY,
    "organizations:invitation_revoke": POST_ONLY,
    "organizations:invitation": MEMBERS_ONLY,
    "organizations:cohorts": PUBLIC,
    "organizations:cohort": PUBLIC,
    "organizations:residency": "LODDDDDOO",
    # No agreement uploaded yet: the member is sent on / gets a 404, outsiders a 403.
    "organizations:agreement_upload": "LRDDDDDRR",
    "organizations:agreement": "LNDDDDDNN",
    "organizations:service_log": "LDDDDDDRR",
    "organizations:assessment": "LDDDDDDRR",
    # Projects and applications: a draft is visible to its organization only (staff
    # work on applications in the admin); attachments also to programme staff.
    "projects:list": PUBLIC,
    "projects:detail": PUBLIC,
    # A project's English version: its organization's editors and programme staff.
    "projects:project_english": "LODDDDDOO",
    "projects:start_application": POST_ONLY,
    "projects:application_list": MEMBERS_ONLY,
    "projects:application_detail": "LONNNNNNN",
    "projects:application_step": "LONNNNNNN",
    "projects:application_autosave": POST_ONLY,
    "projects:application_submit": POST_ONLY,
    "projects:application_withdraw": POST_ONLY,
    "projects:appeal_submit": POST_ONLY,
    "projects:appeal_withdraw": POST_ONLY,
    "projects:application_attachment_upload": POST_ONLY,
    "projects:application_attachment": "LONNNNNOO",
    "projects:application_attachment_delete": POST_ONLY,
    "projects:notifications": MEMBERS_ONLY,
    "notifications:language": POST_ONLY,
    "projects:need_list": PUBLIC,
    "projects:need_create": MEMBERS_ONLY,
    "projects:need_detail": PUBLIC,
    "projects:need_support": POST_ONLY,
    # Photos of a published need are public.
    "projects:need_photo": PUBLIC,
    # Residents rate a project once signed in (the form, or why it is not offered).
    "evaluation_public:feedback": MEMBERS_ONLY,
    # Brand projects: the showcase is public; starting a draft from a design needs a
    # sign-in, and the world's project is no brand project (404). The replicate paths
    # and refusals are tested in tests/evaluation/test_brand.py.
    "evaluation_public:brand_list": PUBLIC,
    "evaluation_public:replicate": "LNNNNNNNN",
    # Funding: the gift token is the donor's capability; the donation succeeded, so the
    # confirm page moves on to the status page and the test checkout is gone.
    "funding_public:donate_general": PUBLIC,
    "funding_public:donate": PUBLIC,
    "funding_public:confirm": "RRRRRRRRR",
    "funding_public:status": PUBLIC,
    # The WeChat Pay QR page of a paid gift moves on to the status page; the gift's
    # state (JSON, polled by the payment pages) is as public as its status page.
    "funding_public:scan": "RRRRRRRRR",
    "funding_public:wechat_pay": "RRRRRRRRR",  # only a pending JSAPI order has this page
    "funding_public:state": PUBLIC,
    # Offline pledges: the world has no offline-giving details (404 until finance fills
    # them in) and no pledge; tested in tests/funding/test_offline_pledge.py.
    "funding_public:pledge_general": "NNNNNNNNN",
    "funding_public:pledge": "NNNNNNNNN",
    "funding_public:pledge_detail": "NNNNNNNNN",
    "funding_public:receipt_pdf": PUBLIC,
    # The official e-receipt opens with the gift's token like its receipt; the world's
    # receipt has none recorded (404). tests/funding/test_receipts.py downloads one.
    "funding_public:official_receipt": "NNNNNNNNN",
    "funding_public:test_checkout": "NNNNNNNNN",
    "funding_public:settlement": PUBLIC,
    "wagtailcore_login": "LLLLLLLLL",  # handed to allauth (rate limits, two factors)
    "wagtail_serve": PUBLIC,
}

# Admin URLs whose answer does not depend on admin access.
ADMIN_SPECIAL = {
    "wagtailadmin_login": "LLLLLLLLL",  # always sent to allauth's login (rate limits, MFA)
    "wagtailadmin_password_reset": "RRRRRRRRR",  # sent to allauth's reset
    "wagtailadmin_password_reset_done": "RRRRRRRRR",
    "wagtailadmin_password_reset_complete": "RRRRRRRRR",
    "wagtailadmin_javascript_catalog": "ODDOOOOOO",  # static translations / icons
    "wagtailadmin_sprite": "ODDOOOOOO",
    "wagtailadmin_password_reset_confirm": "RRRRRRRRR",
}

ADMIN_INDEX = {
    # No one: rows of these models are created by services (front end, review,
    # evaluation), never from an empty admin form.
    "LDDDDDDDD": [
        "delivery_list:add",
        "evaluation_evaluations:add",
        "evaluation_feedback:add",
        "evaluation_sheets:add",
        "review_assignments:add",
        "review_decisions:add",
        "review_ranking:add",
        "review_reviews:add",
        "wagtaillocales:add",
        "wagtailsnippetchoosers_projects_application:create",
        "wagtailsnippetchoosers_projects_communityneed:create",
        "wagtailsnippets_projects_application:add",
        "wagtailsnippets_projects_communityneed:add",
    ],
    # POST only.
    "LDDDDDDDM": [
        "wagtailredirects:process_import",
    ],
    # Superuser only: Wagtail pages, media, users, sites, settings.
    "LDDDDDDDO": [
        "calls:index",
        "calls:index_results",
        "wagtailadmin_collections:add",
        "wagtailadmin_collections:index",
        "wagtailadmin_explore_root",
        "wagtailadmin_pages:search",
        "wagtailadmin_pages:search_results",
        "wagtailadmin_reports:aging_pages",
        "wagtailadmin_reports:aging_pages_results",
        "wagtailadmin_reports:locked_pages",
        "wagtailadmin_reports:locked_pages_results",
        "wagtailadmin_reports:page_types_usage",
        "wagtailadmin_reports:page_types_usage_results",
        "wagtailadmin_reports:workflow",
        "wagtailadmin_reports:workflow_results",
        "wagtailadmin_reports:workflow_tasks",
        "wagtailadmin_reports:workflow_tasks_results",
        "wagtailadmin_workflows:add",
        "wagtailadmin_workflows:index",
        "wagtailadmin_workflows:index_results",
        "wagtailadmin_workflows:task_index",
        "wagtailadmin_workflows:task_index_results",
        "wagtaildocs:add",
        "wagtaildocs:add_multiple",
        "wagtaildocs:index",
        "wagtaildocs:index_results",
        "wagtaildocs_chooser:create",
        "wagtailforms:index",
        "wagtailforms:index_results",
        "wagtailimages:add",
        "wagtailimages:add_multiple",
        "wagtailimages:index",
        "wagtailimages:index_results",
        "wagtailimages_chooser:create",
        "wagtaillocales:index",
        "wagtaillocales:index_results",
        "wagtailredirects:add",
        "wagtailredirects:index",
        "wagtailredirects:index_results",
        "wagtailredirects:start_import",
        "wagtailsearchpromotions:add",
        "wagtailsearchpromotions:index",
        "wagtailsearchpromotions:index_results",
        "wagtailsearchpromotions:search_terms",
        "wagtailsearchpromotions:search_terms_results",
        "wagtailsites:add",
        "wagtailsites:index",
        "wagtailsites:index_results",
        "wagtailsnippetchoosers_portal_footer:create",
        "wagtailsnippetchoosers_projects_servicecategory:create",
        "wagtailsnippetchoosers_projects_serviceitem:create",
        "wagtailsnippets:index",
        "wagtailsnippets_portal_footer:add",
        "wagtailsnippets_portal_footer:list",
        "wagtailsnippets_portal_footer:list_results",
        "wagtailsnippets_projects_servicecategory:add",
        "wagtailsnippets_projects_servicecategory:list",
        "wagtailsnippets_projects_servicecategory:list_results",
        "wagtailsnippets_projects_serviceitem:add",
        "wagtailsnippets_projects_serviceitem:list",
        "wagtailsnippets_projects_serviceitem:list_results",
        "wagtailusers_groups:add",
        "wagtailusers_groups:index",
        "wagtailusers_groups:index_results",
        "wagtailusers_users:add",
        "wagtailusers_users:index",
        "wagtailusers_users:index_results",
    ],
    "LDDDDDDDR": [
        "wagtailadmin_workflows:select_task_type",
    ],
    # Programme staff and finance officers (and superusers): a call's money at close-out,
    # the scheduled tranches (due, held, overdue).
    "LDDDDDOOO": [
        "delivery_admin:closeout_index",
        "delivery_admin:tranches",
    ],
    # Programme staff (and superusers): organizations, incubation, review set-up.
    "LDDDDDDOO": [
        "cohorts_admin:add",
        "cohorts_admin:index",
        "cohorts_admin:index_results",
        "delivery_admin:start",
        "delivery_list:index",
        "delivery_list:index_results",
        "dimensions_admin:add",
        "dimensions_admin:index",
        "dimensions_admin:index_results",
        "evaluation:brand_list",
        "evaluation:dashboard",
        "evaluation_evaluations:index",
        "evaluation_evaluations:index_results",
        "evaluation_feedback:index",
        "evaluation_feedback:index_results",
        "evaluation_rubrics:add",
        "evaluation_rubrics:index",
        "evaluation_rubrics:index_results",
        "evaluation_sheets:index",
        "evaluation_sheets:index_results",
        "organizations_admin:add",
        "organizations_admin:index",
        "organizations_admin:index_results",
        "regions_admin:add",
        "regions_admin:index",
        "regions_admin:index_results",
        "reports_admin:index",
        "residencies_admin:add",
        "residencies_admin:index",
        "residencies_admin:index_results",
        "review:calls",
        "review_appeals:add",
        "review_appeals:index",
        "review_appeals:index_results",
        "review_assignments:index",
        "review_assignments:index_results",
        "review_conflicts:add",
        "review_conflicts:index",
        "review_conflicts:index_results",
        "review_decisions:index",
        "review_decisions:index_results",
        "review_profiles:add",
        "review_profiles:index",
        "review_profiles:index_results",
        "review_ranking:index",
        "review_ranking:index_results",
        "review_reviews:index",
        "review_reviews:index_results",
        "review_rubrics:add",
        "review_rubrics:index",
        "review_rubrics:index_results",
        "review_settings:add",
        "review_settings:index",
        "review_settings:index_results",
        "stages_admin:add",
        "stages_admin:index",
        "stages_admin:index_results",
        "trainings_admin:add",
        "trainings_admin:index",
        "trainings_admin:index_results",
        "wagtailsnippets_projects_application:list",
        "wagtailsnippets_projects_application:list_results",
        "wagtailsnippets_projects_communityneed:list",
        "wagtailsnippets_projects_communityneed:list_results",
    ],
    # Finance officers (and superusers): money.
    "LDDDDDODO": [
        "funding_donations:statements",
        "funding_claw_backs:index",
        "funding_claw_backs:index_results",
        "funding_disbursements:index",
        "funding_disbursements:index_results",
        "funding_disbursements:record",
        "funding_donations:import",
        "funding_donations:index",
        "funding_donations:index_results",
        "funding_donations:offline",
        "funding_inbox:index",
        "funding_inbox:index_results",
        "funding_ledger:index",
        "funding_ledger:index_results",
        "funding_pools:add",
        "funding_pools:index",
        "funding_pools:index_results",
        "funding_rules:add",
        "funding_rules:index",
        "funding_rules:index_results",
        "funding_settlement_tiers:add",
        "funding_settlement_tiers:index",
        "funding_settlement_tiers:index_results",
        "funding_sponsors:add",
        "funding_sponsors:index",
        "funding_sponsors:index_results",
    ],
    # The evaluator's own queue of score sheets.
    "LDDDDODDO": [
        "evaluation:queue",
    ],
    # API endpoints that 404 without a query.
    "LDDNNNNNN": [
        "wagtailadmin_api:documents:find",
        "wagtailadmin_api:images:find",
        "wagtailadmin_api:pages:find",
        "wagtailadmin_block_preview",
    ],
    # The reviewer's own queue (reviewers, staff).
    "LDDOODDOO": [
        "review:queue",
    ],
    # Every admin user: home, account, choosers, site history.
    "LDDOOOOOO": [
        "wagtailadmin_account",
        "wagtailadmin_api:documents:listing",
        "wagtailadmin_api:images:listing",
        "wagtailadmin_api:pages:listing",
        "wagtailadmin_choose_page",
        "wagtailadmin_choose_page_anchor_link",
        "wagtailadmin_choose_page_chosen_multiple",
        "wagtailadmin_choose_page_email_link",
        "wagtailadmin_choose_page_external_link",
        "wagtailadmin_choose_page_phone_link",
        "wagtailadmin_choose_page_search",
        "wagtailadmin_dismissibles",
        "wagtailadmin_home",
        "wagtailadmin_reports:site_history",
        "wagtailadmin_reports:site_history_results",
        "wagtailadmin_tag_autocomplete",
        "wagtailadmin_workflows:task_chooser",
        "wagtailadmin_workflows:task_chooser_create",
        "wagtailadmin_workflows:task_chooser_results",
        "wagtaildocs_chooser:choose",
        "wagtaildocs_chooser:choose_results",
        "wagtaildocs_chooser:chosen_multiple",
        "wagtailembeds:chooser",
        "wagtailembeds:chooser_upload",
        "wagtailimages_chooser:choose",
        "wagtailimages_chooser:choose_results",
        "wagtailimages_chooser:chosen_multiple",
        "wagtailsearchpromotions:chooser",
        "wagtailsearchpromotions:chooserresults",
        "wagtailsnippetchoosers_portal_footer:choose",
        "wagtailsnippetchoosers_portal_footer:choose_results",
        "wagtailsnippetchoosers_portal_footer:chosen_multiple",
        "wagtailsnippetchoosers_projects_application:choose",
        "wagtailsnippetchoosers_projects_application:choose_results",
        "wagtailsnippetchoosers_projects_application:chosen_multiple",
        "wagtailsnippetchoosers_projects_communityneed:choose",
        "wagtailsnippetchoosers_projects_communityneed:choose_results",
        "wagtailsnippetchoosers_projects_communityneed:chosen_multiple",
        "wagtailsnippetchoosers_projects_servicecategory:choose",
        "wagtailsnippetchoosers_projects_servicecategory:choose_results",
        "wagtailsnippetchoosers_projects_servicecategory:chosen_multiple",
        "wagtailsnippetchoosers_projects_serviceitem:choose",
        "wagtailsnippetchoosers_projects_serviceitem:choose_results",
        "wagtailsnippetchoosers_projects_serviceitem:chosen_multiple",
    ],
    "LDDOOOOOR": [
        "calls:choose_parent",
    ],
}

# Object pages in the admin, requested with the world's objects: name -> (kwargs, expected).
ADMIN_OBJECTS = {
    # A reviewer opens their own accepted assignment; the recused reviewer cannot.
    # Only the assigned reviewer opens an assignment (others get a 404, staff work in
    # review_assignments); the recused reviewer is refused their own.
    "review:assignment": (lambda w: {"pk": w.assignment.pk}, "LDDONNNNN"),
    "review:assignment#recused": (lambda w: {"pk": w.recused.pk}, "LDDNDNNNN"),
    "review:attachment": (
        lambda w: {"pk": w.assignment.pk, "attachment_pk": w.reviewed_attachment.pk},
        "LDDONNNNN",
    ),
    "review:attachment#recused": (
        lambda w: {"pk": w.recused.pk, "attachment_pk": w.reviewed_attachment.pk},
        "LDDNDNNNN",
    ),
    "review:progress": (lambda w: {"pk": w.call.pk}, "LDDDDDDOO"),
    "review:publish": (lambda w: {"pk": w.call.pk}, "LDDDDDDOO"),
    "review:message_applicants": (lambda w: {"pk": w.call.pk}, "LDDDDDDOO"),
    "organizations_admin:inspect": (lambda w: {"pk": w.org.pk}, "LDDDDDDOO"),
    "organizations_admin:edit": (lambda w: {"pk": w.org.pk}, "LDDDDDDOO"),
    "residencies_admin:inspect": (lambda w: {"pk": w.residency.pk}, "LDDDDDDOO"),
    "wagtailsnippets_projects_application:inspect": (lambda w: {"pk": w.reviewed.pk}, "LDDDDDDOO"),
    "wagtailadmin_pages:edit": (lambda w: {"page_id": w.call.pk}, "LDDDDDDDO"),
    "wagtaildocs:edit": (lambda w: {"document_id": w.wagtail_document.pk}, "LDDDDDDDO"),
    "wagtailimages:edit": (lambda w: {"image_id": w.wagtail_image.pk}, "LDDDDDDDO"),
    "wagtailusers_users:edit": (lambda w: {"pk": w.users["applicant"].pk}, "LDDDDDDDO"),
}

# Viewsets whose object URLs rely on the same permission policy as their list page.
ADMIN_OBJECT_NAMESPACES = {
    "organizations_admin",
    "regions_admin",
    "residencies_admin",
    "cohorts_admin",
    "trainings_admin",
    "stages_admin",
    "dimensions_admin",
    "review_rubrics",
    "review_settings",
    "review_assignments",
    "review_reviews",
    "review_ranking",
    "review_decisions",
    "review_appeals",
    "review_conflicts",
    "review_profiles",
    "funding_donations",
    "funding_pools",
    "funding_sponsors",
    "funding_rules",
    "funding_disbursements",
    "funding_claw_backs",
    "funding_inbox",
    "review",
    "calls",
    # Wagtail's own viewsets and views (permission policies of wagtail.admin).
    "wagtailadmin_pages",
    "wagtailadmin_workflows",
    "wagtailadmin_collections",
    "wagtailadmin_editing_sessions",
    "wagtailadmin_api:pages",
    "wagtailadmin_api:images",
    "wagtailadmin_api:documents",
    "wagtailimages",
    "wagtailimages_chooser",
    "wagtaildocs",
    "wagtaildocs_chooser",
    "wagtailusers_users",
    "wagtailusers_groups",
    "wagtailsites",
    "wagtaillocales",
    "wagtailredirects",
    "wagtailsearchpromotions",
    "wagtailforms",
    "wagtailsettings",
    "wagtailembeds",
    "simple_translation",
    "wagtailsnippets",
    "wagtailsnippets_portal_footer",
    "wagtailsnippets_projects_application",
    "wagtailsnippets_projects_communityneed",
    "wagtailsnippets_projects_servicecategory",
    "wagtailsnippets_projects_serviceitem",
    "wagtailsnippetchoosers_portal_footer",
    "wagtailsnippetchoosers_projects_application",
    "wagtailsnippetchoosers_projects_communityneed",
    "wagtailsnippetchoosers_projects_servicecategory",
    "wagtailsnippetchoosers_projects_serviceitem",
    "funding_settlement_tiers",
    "delivery_list",
    "evaluation_rubrics",
    "evaluation_evaluations",
    "evaluation_sheets",
    "evaluation_feedback",
}

# Object views whose per-object rules are tested with their app (outsiders are still
# checked here on every one of them).
ADMIN_OBJECTS_TESTED_ELSEWHERE = {
    "delivery_admin:detail": "tests/delivery/test_admin_and_reminders.py",
    "delivery_admin:report": "tests/delivery/test_admin_and_reminders.py",
    "delivery_admin:closing": "tests/delivery/test_closing.py",
    "delivery_admin:budget": "tests/delivery/test_budget_lines.py",
    "delivery_admin:closeout": "tests/delivery/test_closeout.py",
    "delivery_admin:schedule": "tests/delivery/test_payment_schedule_admin.py",
    "delivery_admin:payee": "tests/delivery/test_payment_schedule_admin.py",
    "delivery_admin:tranche_record": "tests/delivery/test_payment_schedule_admin.py",
    "evaluation:sheet": "tests/evaluation/test_admin.py (only the assigned evaluator)",
    "evaluation:manage": "tests/evaluation/test_admin.py",
    "evaluation:moderate": "tests/evaluation/test_admin.py",
    "evaluation:brand_mark": "tests/evaluation/test_brand.py",
    "reports_admin:batch": "tests/reports/test_admin.py",
    "reports_admin:object": "tests/reports/test_admin.py",
    "review:resolve_appeal": "tests/review/test_decisions.py",
    "review:appeal_attachment": "tests/review/test_appeal_attachment.py (programme staff only)",
    "review:roster": "tests/review/test_blind.py (reviewers with an assignment in the call)",
    # Wagtail's own views, guarded by its page/model permission policies.
    "wagtailadmin_explore": "Wagtail page explorer (page permissions)",
    "wagtailadmin_choose_page_child": "Wagtail page chooser (page permissions)",
    "wagtail_bulk_action": "Wagtail bulk actions (model permission policy per action)",
    "wagtailadmin_tag_model_autocomplete": "Wagtail tag autocomplete (admin access only)",
}

NOT_REQUESTED = {
    "wagtailadmin_logout": "logs the session out (tests/organizations: admin logout)",
    "account_logout": "GET only shows a confirmation; the session must survive the matrix",
    "wagtailadmin_error_test": "raises on purpose to test the 500 page (admin users only; "
    "outsiders are checked in test_admin_is_closed_to_outsiders)",
    "admin/test404/": "Wagtail's 404 test page (regex pattern)",
    "admin/^.*/$": "Wagtail's catch-all 404 inside the admin (regex pattern)",
    "wagtailadmin_explore_results": "HTMX fragment of the page explorer (same checks as "
    "wagtailadmin_explore_root)",
    **SITE_UNBUILDABLE,
    "socialaccount_login_error": "allauth's third-party login failure page answers 401 to "
    "everyone by design; tests/organizations/test_wechat_login.py checks failed logins",
    # Funded-project delivery pages need a running delivery (agreement, milestones,
    # reports); their member/outsider/staff rules are tested in tests/delivery/test_views.py
    # (test_delivery_page_permissions, test_other_organizations_member_cannot_report).
    **dict.fromkeys(
        (
            "delivery:detail",
            "delivery:milestone_propose",
            "delivery:explain_variance",
            "delivery:report_create",
            "delivery:report",
            "delivery:report_resubmit",
            "delivery:agreement",
            "delivery:receipt",
            "delivery:photo",
        ),
        "delivery object pages: see tests/delivery/test_views.py",
    ),
}

OUTSIDERS = ("anonymous", "applicant", "other_member")
EXPORT_FORMATS = ("csv", "xlsx")
ADMIN_ROLES = tuple(role for role in ROLES if role not in OUTSIDERS)


def _namespace(name: str) -> str:
    return name.rsplit(":", 1)[0] if ":" in name else ""


def _admin_index_expected() -> dict[str, str]:
    return {name: expected for expected, names in ADMIN_INDEX.items() for name in names}


def _fill(route: str) -> str:
    """A concrete path for an admin route with placeholder arguments (outsiders are
    turned away before any object is looked up)."""

    def value(match):
        return "1" if match.group(1) in ("int", "id") else "x"  # <id:…>: bounded int

    path = re.sub(r"\(\?P<\w+>[^)]*\)", "1", route)  # regex routes (Wagtail's API, compare)
    path = re.sub(r"<(?:(\w+):)?\w+>", value, path)
    return "/" + path.replace("^", "").replace("$", "").replace("\\", "")


def _client(world, role) -> Client:
    client = Client()
    user = world.users[role]
    if user is not None:
        # Admin roles have TOTP enrolled: their sessions passed the code step.
        login = login_with_mfa if has_totp(user) else Client.force_login
        login(client, user)
    return client


def _check(world, role, cases) -> list[tuple[str, str, str, str]]:
    """Request each (name, url, expected string) as ``role``; the mismatches. A URL is
    requested once even when several patterns fill to the same path."""
    client = _client(world, role)
    index = ROLES.index(role)
    seen: dict[str, str] = {}
    wrong = []
    for name, url, expected in cases:
        if url not in seen:
            seen[url] = classify(client.get(url))
        if seen[url] != expected[index]:
            wrong.append((name, url, expected[index], seen[url]))
    return wrong


def _mismatches(role, rows) -> str:
    return "\n".join(
        f"{role}: {name:60} {url:60} expected {want} got {got}" for name, url, want, got in rows
    )


# --- One world per module (per xdist worker) --------------------------------------------


@pytest.fixture(scope="module")
def matrix_media(tmp_path_factory):
    return tmp_path_factory.mktemp("matrix-media")


@pytest.fixture(autouse=True)
def _media_dirs(settings, matrix_media):
    """Overrides tests/conftest.py's per-test folders: the module's world keeps its
    uploads (documents, attachments, receipts, photos) in one folder for every item."""
    settings.MEDIA_ROOT = matrix_media / "media"
    settings.PRIVATE_MEDIA_ROOT = matrix_media / "private"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, matrix_media):
    """The site pages (as ``site_pages``) and the security world, built once and rolled
    back after the module's last item."""
    import random

    from django.core.cache import cache

    from portal.demo import DemoContext, seed_site

    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=matrix_media / "media", PRIVATE_MEDIA_ROOT=matrix_media / "private"
        ),
        transaction.atomic(),
    ):
        cache.clear()
        seed_site(DemoContext(size="small", rng=random.Random(1), log=lambda msg: None))
        built = build_world()
        yield built
        transaction.set_rollback(True)
    cache.clear()


@pytest.fixture(autouse=True)
def _mfa_required(settings):
    settings.MFA_REQUIRED_FOR_STAFF = True


# --- Tables ------------------------------------------------------------------------------


def test_every_url_pattern_is_classified():
    admin_index = _admin_index_expected()
    object_names = {key.split("#")[0] for key in ADMIN_OBJECTS}
    unclassified = []
    for route in routes():
        name = route.name
        if name in NOT_REQUESTED:
            continue
        if not route.route.startswith("admin/"):
            ok = name in SITE and name in SITE_URLS
        elif not route.has_args:
            ok = name in admin_index or name in ADMIN_SPECIAL
        else:
            ok = (
                name in object_names
                or name in ADMIN_SPECIAL
                or name in ADMIN_OBJECTS_TESTED_ELSEWHERE
                or _namespace(name) in ADMIN_OBJECT_NAMESPACES
            )
        if not ok:
            unclassified.append(f"{name}  ({route.route})")

    assert not unclassified, (
        "New URL patterns: add each to the permission matrix (SITE / ADMIN_INDEX / "
        "ADMIN_OBJECTS / ADMIN_OBJECT_NAMESPACES) or to NOT_REQUESTED with a reason:\n"
        + "\n".join(unclassified)
    )


def test_matrix_tables_name_only_existing_patterns():
    names = {route.name for route in routes()}
    listed = (
        set(SITE)
        | set(_admin_index_expected())
        | set(ADMIN_SPECIAL)
        | {key.split("#")[0] for key in ADMIN_OBJECTS}
        | set(ADMIN_OBJECTS_TESTED_ELSEWHERE)
    )

    assert sorted(listed - names) == []


def test_expectations_have_one_letter_per_role():
    tables = [
        *SITE.values(),
        *ADMIN_SPECIAL.values(),
        *ADMIN_INDEX,
        *(expected for _, expected in ADMIN_OBJECTS.values()),
    ]

    assert [t for t in tables if len(t) != len(ROLES) or set(t) - set("OLDNMR")] == []


# --- Requests: one item per role ---------------------------------------------------------


def _site_cases(world):
    return [(name, build(name, world), expected) for name, expected in SITE.items()]


def _outsider_cases():
    skip = set(NOT_REQUESTED) - {"wagtailadmin_error_test"}
    return [
        (route.name, _fill(route.route), ADMIN_SPECIAL.get(route.name, "LDDDDDDDD"))
        for route in routes()
        if route.route.startswith("admin/") and route.name not in skip
    ]


def _exports(name: str) -> bool:
    """Whether the admin listing ``name`` offers CSV/XLSX downloads (``list_export``)."""
    callback = resolve(reverse(name)).func
    view_class = getattr(callback, "view_class", None)
    initkwargs = getattr(callback, "view_initkwargs", {}) or {}
    return bool(initkwargs.get("list_export") or getattr(view_class, "list_export", None))


def _export_cases():
    """Every admin export (each listing with ``list_export``, as CSV and as XLSX) answers
    each role as its listing does: the download goes through the same permission policy."""
    return [
        (f"{name}#{fmt}", f"{reverse(name)}?export={fmt}", expected)
        for name, expected in _admin_index_expected().items()
        if not name.endswith("_results") and _exports(name)
        for fmt in EXPORT_FORMATS
    ]


def _admin_cases(world):
    cases = [(name, reverse(name), expected) for name, expected in _admin_index_expected().items()]
    cases += _export_cases()
    cases += [
        (key, reverse(key.split("#")[0], kwargs=kwargs(world)), expected)
        for key, (kwargs, expected) in ADMIN_OBJECTS.items()
    ]
    return cases


@pytest.mark.parametrize("role", ROLES)
def test_site_urls_answer_each_role_as_expected(world, role):
    wrong = _check(world, role, _site_cases(world))

    assert not wrong, "\n" + _mismatches(role, wrong)


# Admin URL lists are long (hundreds of pages for an admin role): each role's list is cut
# into CHUNKS interleaved slices so no single item holds a worker for long.
CHUNKS = 4
_CHUNK_IDS = [f"{i + 1}of{CHUNKS}" for i in range(CHUNKS)]


@pytest.mark.parametrize("chunk", range(CHUNKS), ids=_CHUNK_IDS)
@pytest.mark.parametrize("role", OUTSIDERS)
def test_admin_is_closed_to_outsiders(world, role, chunk):
    wrong = _check(world, role, _outsider_cases()[chunk::CHUNKS])

    assert not wrong, "\n" + _mismatches(role, wrong)


@pytest.mark.parametrize("chunk", range(CHUNKS), ids=_CHUNK_IDS)
@pytest.mark.parametrize("role", ROLES)
def test_admin_pages_answer_each_role_as_expected(world, role, chunk):
    wrong = _check(world, role, _admin_cases(world)[chunk::CHUNKS])

    assert not wrong, "\n" + _mismatches(role, wrong)


def test_every_admin_export_is_requested():
    """The export cases name every listing that offers downloads: ours (organizations,
    funding, review, evaluation, delivery, screening) and Wagtail's (site history …)."""
    exported = {name.split("#")[0] for name, _url, _expected in _export_cases()}

    assert {
        "organizations_admin:index",
        "residencies_admin:index",
        "funding_donations:index",
        "funding_ledger:index",
        "funding_inbox:index",
        "review_ranking:index",
        "wagtailsnippets_projects_application:list",
        "wagtailadmin_reports:site_history",
    } <= exported
    assert len(_export_cases()) == len(EXPORT_FORMATS) * len(exported)


def test_chunks_cover_every_case(world):
    """The slices together are the whole list, each case once."""
    for cases in (_outsider_cases(), _admin_cases(world)):
        sliced = [case for chunk in range(CHUNKS) for case in cases[chunk::CHUNKS]]
        assert sorted(sliced) == sorted(cases)
