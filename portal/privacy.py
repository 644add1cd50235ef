"""A person's data: export everything the portal holds about them, and erase it by
pseudonymisation without touching a single ledger row or amount.

Used by ``manage.py export_person_data USER`` / ``erase_person USER`` and by the
"download my data" link on ``/me/``. See ``docs/security.md``.

What is exported is found generically: every row of every model with a foreign key to
the user (applications they created, reviews they were assigned, feedback, needs,
notifications …), plus donations and receipts given under their verified email address without
an account. The erasure rewrites names, email addresses, phone-free free text and postal
addresses to a pseudonym; donations, receipts, ledger transactions and entries keep
their amounts, numbers and links, so ``reconcile`` stays clean.
"""

from __future__ import annotations

import json
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.core.cache import invalidate_public_pages

EXPORT_VERSION = 1
# Models whose rows are never exported in full: pages (exported by id and title only)
# and secrets (TOTP seeds, recovery codes, session keys).
SECRET_MODELS = {"mfa.authenticator", "sessions.session"}


class ErasureRefused(Exception):
    """The person still has duties the portal must be able to trace to them."""


def find_user(identifier: str):
    """The user with this id, username or email (case-insensitive); raises
    ``LookupError`` when there is none or more than one."""
    User = get_user_model()
    query = Q(username__iexact=identifier) | Q(email__iexact=identifier)
    if identifier.isdigit():
        query |= Q(pk=int(identifier))
    users = list(User.objects.filter(query)[:2])
    if len(users) != 1:
        raise LookupError(_("No single user matches “%(id)s”.") % {"id": identifier})
    return users[0]


def _row(instance: models.Model) -> dict[str, Any]:
    """A JSON-safe dict of the row's concrete field values (files by name only).

    A model lists in ``personal_export_withheld`` the fields (attnames) its rows never
    give the person, e.g. which applicant a reviewer declared a conflict with in a blind
    review."""
    data: dict[str, Any] = {"id": instance.pk}
    withheld = set(getattr(instance, "personal_export_withheld", ()))
    for field in instance._meta.concrete_fields:
        if field.primary_key or field.attname in withheld:
            continue
        value = getattr(instance, field.attname)
        if isinstance(field, models.FileField):
            value = value.name if value else ""
        elif isinstance(value, bytes | memoryview):
            continue
        data[field.attname] = value
    return data


def _user_relations():
    """(model, field) for every concrete foreign key or one-to-one to the user model."""
    User = get_user_model()
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is User:
                yield model, field


def _donations_for(user):
    """The person's gifts: under their account, or given as a guest under one of their
    *verified* addresses (an unverified address proves nothing: exporting or erasing by
    it would hand over or rewrite somebody else's gifts)."""
    from funding.selectors import donations_of

    return donations_of(user).select_related(None).order_by()


def _receipts_for(user, donation_ids):
    from organizations.rules import verified_emails

    Receipt = apps.get_model("funding", "Receipt")
    query = Q(donation_id__in=donation_ids)
    for email in verified_emails(user):
        query |= Q(donation__isnull=True, donor_email__iexact=email)
    return Receipt.objects.filter(query)


def export_person_data(user) -> dict[str, Any]:
    """Everything stored about ``user``, as a JSON-safe dict.

    Sections: ``account`` (profile, groups, email addresses, second factors by type),
    ``donations`` and ``receipts`` (by account or email), and ``records``: for every
    model with a foreign key to the user, the rows that point at them, keyed
    ``app_label.model.field``. Reads only.
    """
    from wagtail.models import Page

    EmailAddress = apps.get_model("account", "EmailAddress")
    Authenticator = apps.get_model("mfa", "Authenticator")
    account = {
        "id": user.pk,
        "username": user.get_username(),
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
        "is_active": user.is_active,
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "email_addresses": list(
            EmailAddress.objects.filter(user=user).values("email", "verified", "primary")
        ),
        "second_factors": sorted(
            Authenticator.objects.filter(user=user).values_list("type", flat=True)
        ),
    }
    donations = list(_donations_for(user).order_by("pk"))
    receipts = list(_receipts_for(user, [d.pk for d in donations]).order_by("pk"))
    records: dict[str, list[dict]] = {}
    for model, field in _user_relations():
        label = model._meta.label_lower
        if label in SECRET_MODELS or label in ("funding.donation", "account.emailaddress"):
            continue
        rows = model._default_manager.filter(**{field.name: user}).order_by("pk")
        if issubclass(model, Page):
            found = [{"id": p.pk, "title": p.title} for p in rows.only("pk", "title")]
        else:
            found = [_row(r) for r in rows]
        if found:
            records[f"{label}.{field.name}"] = found
    return {
        "format": "gongyi-portal person export",
        "version": EXPORT_VERSION,
        "exported_at": timezone.now(),
        "account": account,
        "donations": [_row(d) for d in donations],
        "receipts": [_row(r) for r in receipts],
        "records": records,
    }


def export_json(user) -> str:
    """:func:`export_person_data` as indented JSON (UTF-8 text, Chinese kept readable)."""
    return json.dumps(
        export_person_data(user),
        cls=DjangoJSONEncoder,
        ensure_ascii=False,
        indent=2,
        sort_keys=True,
    )


def register_log_actions(actions) -> None:
    """Wagtail ``register_log_actions`` hook (see ``portal/wagtail_hooks.py``)."""
    from django.utils.translation import gettext_lazy

    actions.register_action(
        "portal.person_erased",
        gettext_lazy("Erase personal data"),
        gettext_lazy("Personal data erased (pseudonymised)"),
    )


def download_my_data(request):
    """``/me/data.json``: the signed-in person's own export, after a fresh password (or
    second-factor) confirmation, never cached."""
    from allauth.account.decorators import reauthentication_required
    from django.contrib.auth.decorators import login_required
    from django.http import HttpResponse

    @login_required
    @reauthentication_required
    def view(request):
        response = HttpResponse(
            export_json(request.user), content_type="application/json; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="my-data.json"'
        response["Cache-Control"] = "no-store"
        return response

    return view(request)


def erasure_refusals(user) -> list[str]:
    """Why ``user`` cannot be erased now (empty when they can)."""
    from organizations import roles

    Membership = apps.get_model("organizations", "Membership")
    reasons = []
    if user.is_superuser or user.is_staff or roles.has_role(user, *roles.ALL_ROLES):
        reasons.append(
            _(
                "The person holds a staff role (staff, superuser or a role group); "
                "remove their roles first so their decisions stay attributable "
                "while they work here."
            )
        )
    sole_owner_of = [
        m.organization.name
        for m in Membership.objects.filter(user=user, role="owner").select_related("organization")
        if not Membership.objects.filter(organization=m.organization, role="owner")
        .exclude(user=user)
        .exists()
    ]
    if sole_owner_of:
        reasons.append(
            _(
                "The person is the only owner of %(orgs)s; the organization must "
                "name another owner (its legal contact) first."
            )
            % {"orgs": "、".join(sole_owner_of)}
        )
    in_flight = _donations_for(user).filter(status__in=["pending", "awaiting_approval"])
    if in_flight.exists():
        reasons.append(
            _("%(n)s donation(s) are still being paid or approved; erase after they are settled.")
            % {"n": in_flight.count()}
        )
    return reasons


@transaction.atomic
def erase_person(user, *, by=None) -> dict[str, int]:
    """Pseudonymise ``user`` everywhere; return how many rows of each kind changed.

    The account becomes ``erased-<id>`` (no email, no name, no password, inactive, no
    second factors, no email addresses); donations and receipts given by the account or
    under its email lose donor name, email, message, dedication, receipt name and
    postal address and IP address — amounts, statuses, receipt numbers and every ledger
    row stay exactly as they were. Invitations to the email and organization contact
    emails equal to it are blanked; e-mails sent to it without an account are deleted.
    The erasure is written to the audit log, and after commit every cached public page
    is invalidated (they may show the person's name).

    Raises ``ErasureRefused`` (with every reason) when :func:`erasure_refusals` finds
    open duties; nothing is changed then.
    """
    from wagtail.log_actions import log

    reasons = erasure_refusals(user)
    if reasons:
        raise ErasureRefused(" ".join(reasons))
    email = user.email
    pseudonym = f"erased-{user.pk}"
    label = _("Erased person #%(id)s") % {"id": user.pk}
    counts: dict[str, int] = {}

    from funding.services.caps import donor_keys_of, rebuild_usage_rows

    donations = _donations_for(user)
    donation_ids = list(donations.values_list("pk", flat=True))
    # The per-donor match cap rows are keyed by the e-mail erased below: they follow the
    # reservations (which then count under no donor key) in this transaction, so
    # reconcile still proves them; no ledger row or amount changes.
    cap_keys = donor_keys_of(donation_ids)
    counts["donations"] = donations.update(
        donor_name=label,
        donor_email="",
        message="",
        dedication="",
        receipt_name=label,
        receipt_address="",
        ip_address=None,
    )
    rebuild_usage_rows(cap_keys)
    counts["receipts"] = _receipts_for(user, donation_ids).update(donor_name=label, donor_email="")
    if email:
        Invitation = apps.get_model("organizations", "Invitation")
        Organization = apps.get_model("organizations", "Organization")
        counts["invitations"] = Invitation.objects.filter(email__iexact=email).update(
            email=f"{pseudonym}@invalid.example"
        )
        counts["organization_contacts"] = Organization.objects.filter(
            contact_email__iexact=email
        ).update(contact_email="")
        Notification = apps.get_model("notifications", "Notification")
        counts["mailed_notices"] = Notification.objects.filter(
            user__isnull=True, email__iexact=email
        ).delete()[0]
    EmailAddress = apps.get_model("account", "EmailAddress")
    Authenticator = apps.get_model("mfa", "Authenticator")
    counts["email_addresses"] = EmailAddress.objects.filter(user=user).delete()[0]
    counts["second_factors"] = Authenticator.objects.filter(user=user).delete()[0]
    counts["sessions"] = _end_sessions(user)

    user.username = pseudonym
    user.email = ""
    user.first_name = ""
    user.last_name = ""
    user.is_active = False
    user.set_unusable_password()
    user.save()
    log(
        instance=user,
        action="portal.person_erased",
        user=by,
        data={"donations": counts["donations"], "receipts": counts["receipts"]},
    )
    # The bulk updates above send no signals, so the public pages that showed the
    # person's name (project pages, latest gifts) are dropped from the page cache here.
    transaction.on_commit(invalidate_public_pages)
    return counts


def _end_sessions(user) -> int:
    """Delete the user's database sessions (other session engines expire on their own:
    the account can no longer log in)."""
    from django.contrib.sessions.models import Session

    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()
            ended += 1
    return ended
