"""Use cases for organizations: profile, verification, members, documents.

Every function is keyword-only and atomic: it validates, then writes, and leaves
nothing half-saved when it raises ``ValidationError`` (or ``PermissionDenied``).
"""

import secrets
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.log_actions import log

from portal.core.notifications.services import notify, user_language

from .enums import (
    VERIFICATION_TRANSITIONS,
    MemberRole,
    RegistrationKind,
    VerificationAction,
    VerificationStatus,
)
from .models import Invitation, Membership, Organization, OrganizationDocument, VerificationEvent
from .validators import normalize_mobile, validate_document

PROFILE_FIELDS = (
    "name",
    "name_en",
    "short_name",
    "org_type",
    "registration_kind",
    "credit_code",
    "filing_number",
    "registration_authority",
    "established_on",
    "region",
    "community",
    "address",
    "contact_name",
    "contact_mobile",
    "contact_email",
    "mission",
    "mission_en",
    "staff_count",
    "volunteer_count",
    "last_year_income",
    "rating",
    "rating_expires_on",
    "logo",
)
# Fields that identify the organization to the registry: fixed once verified.
IDENTITY_FIELDS = ("name", "org_type", "registration_kind", "credit_code", "filing_number")
# Fields that decide eligibility for calls (projects/eligibility.py: type, rating and its
# validity, region), besides the identity ones: also fixed once verified. Members see
# them read-only; programme staff change them in the admin (organization edit) after
# checking the evidence, so the eligibility check always reads verified values.
ELIGIBILITY_FIELDS = ("region", "rating", "rating_expires_on")
FIXED_AFTER_VERIFICATION = IDENTITY_FIELDS + ELIGIBILITY_FIELDS


def _unique_slug(name: str) -> str:
    """An ASCII slug (Chinese names give none, so ``org-`` plus a random suffix)."""
    base = slugify(name)[:60] or "org"
    while True:
        slug = f"{base}-{secrets.token_hex(3)}"
        if not Organization.objects.filter(slug=slug).exists():
            return slug


def _apply_profile(organization: Organization, fields: dict) -> None:
    for key, value in fields.items():
        if key not in PROFILE_FIELDS:
            raise ValueError(f"{key} is not a profile field")
        setattr(organization, key, value)
    if organization.credit_code:
        organization.credit_code = organization.credit_code.strip().upper()
    if organization.registration_kind != RegistrationKind.REGISTERED:
        organization.credit_code = organization.credit_code or None
    if organization.contact_mobile:
        organization.contact_mobile = normalize_mobile(organization.contact_mobile)
    if not organization.rating:
        organization.rating_expires_on = None


def _validate_profile(organization: Organization) -> None:
    errors = {}
    kind = organization.registration_kind
    if kind == RegistrationKind.REGISTERED and not organization.credit_code:
        errors["credit_code"] = _(
            "A registered organization must give its unified social credit code."
        )
    if organization.registration_kind == RegistrationKind.FILED and not organization.filing_number:
        errors["filing_number"] = _("Give the filing number, or choose “Not registered”.")
    if organization.rating and not organization.rating_expires_on:
        errors["rating_expires_on"] = _("Give the date until which the rating is valid.")
    if (
        organization.community_id
        and organization.region_id
        and (organization.community.parent_id != organization.region_id)
    ):
        errors["community"] = _("This community is not in the chosen sub-district.")
    if errors:
        raise ValidationError(errors)
    organization.full_clean(exclude=["slug"])


def _save_or_duplicate(organization: Organization, **save_kwargs) -> None:
    try:
        with transaction.atomic():
            organization.save(**save_kwargs)
    except IntegrityError as exc:
        if (
            organization.credit_code
            and Organization.objects.filter(credit_code=organization.credit_code)
            .exclude(pk=organization.pk)
            .exists()
        ):
            raise ValidationError(
                {
                    "credit_code": _(
                        "An organization with this unified social credit code is "
                        "already registered on the portal."
                    )
                }
            ) from exc
        raise


@transaction.atomic
def create_organization(
    *, owner, fields: dict, service_areas: Iterable[Model] = ()
) -> Organization:
    """Create a draft organization with ``owner`` as its first owner.

    Guarantees: the organization, its service areas and the owner membership are saved
    together or not at all. Side effects: an audit log entry ``wagtail.create``.
    Raises ``ValidationError`` (per field) for invalid or duplicate data.
    """
    organization = Organization(status=VerificationStatus.DRAFT)
    _apply_profile(organization, fields)
    _validate_profile(organization)
    organization.slug = _unique_slug(organization.name)
    _save_or_duplicate(organization)
    organization.service_areas.set(service_areas)
    Membership.objects.create(organization=organization, user=owner, role=MemberRole.OWNER)
    log(instance=organization, action="wagtail.create", user=owner)
    return organization


@transaction.atomic
def update_organization(
    *, organization: Organization, by, fields: dict, service_areas: Iterable[Model] | None = None
) -> Organization:
    """Change an organization's profile.

    Guarantees: identity fields (name, type, registration, credit code) and the other
    fields that decide eligibility (region, rating and its expiry) cannot change once
    verified (staff change them in the admin), and nothing changes while the profile is
    under review. Side effects:
    an audit log entry ``wagtail.edit``. Raises ``ValidationError`` or ``PermissionDenied``.
    """
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    if not organization.is_editable_by_members:
        raise ValidationError(_("The profile cannot be changed while staff are reviewing it."))
    if organization.is_verified:
        changed = [
            k
            for k in FIXED_AFTER_VERIFICATION
            if k in fields and (fields[k] or None) != (getattr(organization, k) or None)
        ]
        if changed:
            raise ValidationError(
                {
                    k: _("This cannot be changed after verification; contact the programme staff.")
                    for k in changed
                }
            )
    _apply_profile(organization, fields)
    _validate_profile(organization)
    _save_or_duplicate(organization)
    if service_areas is not None:
        organization.service_areas.set(service_areas)
    log(instance=organization, action="wagtail.edit", user=by)
    return organization


def _transition(*, organization: Organization, to: str, by, action: str, reason: str = "") -> None:
    VERIFICATION_TRANSITIONS.check(organization.status, to, by=by, obj=organization)
    organization.status = to
    update_fields = ["status", "updated_at"]
    if to == VerificationStatus.VERIFIED:
        organization.verified_at = timezone.now()
        update_fields.append("verified_at")
    organization.save(update_fields=update_fields)
    VerificationEvent.objects.create(
        organization=organization, action=action, reason=reason, actor=by
    )
    log(
        instance=organization,
        action=f"organizations.{action}",
        user=by,
        data={"reason": reason} if reason else None,
    )
    if action in (VerificationAction.VERIFIED, VerificationAction.RETURNED):
        _notify_owners(organization, action, reason)


def notify_members(
    *,
    organization: Organization,
    title,
    body="",
    params=None,
    url: str = "",
    roles: Iterable[str] | None = None,
) -> None:
    """Notify the organization's members (those with one of ``roles``, or all) through
    the one dispatcher (``portal.core.notifications``): an in-app notice each, in their
    language, and an e-mail queued after commit. ``title``/``body`` are lazy
    translatable strings formatted with ``params``."""
    members = Membership.objects.filter(organization=organization)
    if roles is not None:
        members = members.filter(role__in=list(roles))
    notify(
        users=members.values_list("user_id", flat=True),
        title=title,
        body=body,
        params=params,
        url=url,
    )


def _notify_owners(organization: Organization, action: str, reason: str) -> None:
    """Tell the owners about a staff decision (in-app and e-mail, after commit)."""
    params = {"name": organization.name, "reason": reason}
    if action == VerificationAction.VERIFIED:
        title = gettext_lazy("%(name)s is verified")
        body = gettext_lazy(
            "The programme staff verified %(name)s. It now appears in the public directory."
        )
    else:
        title = gettext_lazy("%(name)s was returned")
        body = gettext_lazy(
            "The programme staff returned the profile of %(name)s:\n\n%(reason)s\n\n"
            "Please correct it and submit it again."
        )
    notify_members(
        organization=organization,
        roles=[MemberRole.OWNER],
        title=title,
        body=body,
        params=params,
        url=reverse("organizations:manage", kwargs={"slug": organization.slug}),
    )


@transaction.atomic
def submit_for_verification(*, organization: Organization, by) -> Organization:
    """Send a draft or returned profile to staff for verification.

    Guarantees: the profile is complete enough to review (contact person and mobile,
    sub-district, mission; a registration certificate for registered organizations).
    Side effects: a history row, an audit log entry. Raises ``ValidationError``.
    """
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    missing = []
    for field in ("contact_name", "contact_mobile", "region", "mission"):
        if not getattr(organization, field):
            missing.append(str(Organization._meta.get_field(field).verbose_name))
    if (
        organization.registration_kind == RegistrationKind.REGISTERED
        and not organization.documents.filter(kind="registration_certificate").exists()
    ):
        missing.append(_("registration certificate (document)"))
    if missing:
        raise ValidationError(
            _("Complete the profile before submitting it: %(missing)s."),
            params={"missing": "、".join(missing)},
        )
    _transition(
        organization=organization,
        to=VerificationStatus.SUBMITTED,
        by=by,
        action=VerificationAction.SUBMITTED,
    )
    return organization


@transaction.atomic
def verify_organization(*, organization: Organization, by) -> Organization:
    """Staff decision: the organization is who it says it is.

    Side effects: ``verified_at`` set, history row, audit log; the organization now
    appears publicly. Raises ``ValidationError`` if it was not submitted.
    """
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    _transition(
        organization=organization,
        to=VerificationStatus.VERIFIED,
        by=by,
        action=VerificationAction.VERIFIED,
    )
    return organization


@transaction.atomic
def return_organization(*, organization: Organization, by, reason: str) -> Organization:
    """Staff decision: send the profile back with ``reason`` so members can fix it.

    Side effects: history row with the reason, audit log. Raises ``ValidationError``
    without a reason or from a state that cannot be returned.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the profile is returned.")})
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    _transition(
        organization=organization,
        to=VerificationStatus.RETURNED,
        by=by,
        action=VerificationAction.RETURNED,
        reason=reason,
    )
    return organization


@transaction.atomic
def add_document(*, organization: Organization, by, kind: str, upload) -> OrganizationDocument:
    """Store a document privately after checking its size and real content type.

    Raises ``ValidationError`` for an oversized or disguised file (nothing is stored).
    """
    mime = validate_document(upload)
    document = OrganizationDocument(
        organization=organization,
        kind=kind,
        original_name=upload.name[:255],
        content_type=mime,
        size=upload.size,
        uploaded_by=by,
    )
    document.full_clean(exclude=["file"])
    document.file.save(f"{secrets.token_hex(8)}.{mime.split('/')[1]}", upload, save=False)
    document.save()
    log(
        instance=organization,
        action="organizations.document_added",
        user=by,
        data={"kind": kind, "name": document.original_name},
    )
    return document


@transaction.atomic
def invite_member(*, organization: Organization, by, email: str, role: str) -> Invitation:
    """Invite ``email`` to join with ``role``.

    Raises ``ValidationError`` when the address already belongs to a member or already
    has a pending invitation. Side effects: an email with the acceptance link, sent after
    commit; an audit log entry.
    """
    email = (email or "").strip().lower()
    if role not in MemberRole.values:
        raise ValidationError({"role": _("Choose a role.")})
    if organization.memberships.filter(user__email__iexact=email).exists():
        raise ValidationError(
            {"email": _("%(email)s is already a member of this organization.") % {"email": email}}
        )
    if organization.invitations.pending().filter(email__iexact=email).exists():
        raise ValidationError(
            {"email": _("%(email)s has already been invited.") % {"email": email}}
        )
    invitation = Invitation.objects.create(
        organization=organization,
        email=email,
        role=role,
        token=secrets.token_urlsafe(32),
        invited_by=by,
    )
    log(
        instance=organization,
        action="organizations.member_invited",
        user=by,
        data={"email": email, "role": role},
    )
    # The invitee has no account yet: they are written to in the inviter's language.
    language = user_language(by)
    with translation.override(language):
        link = settings.SITE_URL + reverse(
            "organizations:invitation", kwargs={"token": invitation.token}
        )
    notify(
        emails=[email],
        language=language,
        title=gettext_lazy("Invitation to join %(name)s"),
        body=gettext_lazy(
            "%(inviter)s invites you to join %(name)s on the portal as %(role)s.\n\n"
            "Accept the invitation here (log in or sign up with this email address):\n%(link)s\n"
        ),
        params={
            "inviter": by.get_username(),
            "name": organization.name,
            "role": MemberRole(role).label,
            "link": link,
        },
    )
    return invitation


@transaction.atomic
def accept_invitation(*, invitation: Invitation, user) -> Membership:
    """Make ``user`` a member with the invited role.

    Guarantees: the invitation is used once; the user's verified email must match the
    invited address. Raises ``ValidationError`` otherwise.
    """
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_pending:
        raise ValidationError(_("This invitation has already been used or withdrawn."))
    from allauth.account.models import EmailAddress

    if not EmailAddress.objects.filter(
        user=user, email__iexact=invitation.email, verified=True
    ).exists():
        raise ValidationError(
            _(
                "This invitation was sent to %(email)s. Log in with that (verified) email "
                "address to accept it."
            )
            % {"email": invitation.email}
        )
    if Membership.objects.filter(organization=invitation.organization, user=user).exists():
        raise ValidationError(_("You are already a member of this organization."))
    membership = Membership.objects.create(
        organization=invitation.organization, user=user, role=invitation.role
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    log(
        instance=invitation.organization,
        action="organizations.member_joined",
        user=user,
        data={"role": invitation.role},
    )
    return membership


@transaction.atomic
def revoke_invitation(*, invitation: Invitation, by) -> None:
    """Withdraw a pending invitation. Raises ``ValidationError`` if it is not pending."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_pending:
        raise ValidationError(_("This invitation has already been used or withdrawn."))
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    log(
        instance=invitation.organization,
        action="organizations.invitation_revoked",
        user=by,
        data={"email": invitation.email},
    )


def _lock_owners(organization: Organization) -> int:
    return len(
        list(
            Membership.objects.select_for_update()
            .filter(organization=organization, role=MemberRole.OWNER)
            .values_list("pk", flat=True)
        )
    )


@transaction.atomic
def change_member_role(*, membership: Membership, by, role: str) -> Membership:
    """Give a member another role. Raises ``ValidationError`` when that would leave the
    organization without an owner."""
    if role not in MemberRole.values:
        raise ValidationError({"role": _("Choose a role.")})
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.role == MemberRole.OWNER and role != MemberRole.OWNER:
        if _lock_owners(membership.organization) <= 1:
            raise ValidationError(_("An organization must always have at least one owner."))
    membership.role = role
    membership.save(update_fields=["role"])
    log(
        instance=membership.organization,
        action="organizations.member_role_changed",
        user=by,
        data={"member": membership.user.get_username(), "role": role},
    )
    return membership


@transaction.atomic
def remove_member(*, membership: Membership, by) -> None:
    """Remove a member (or let a member leave). Raises ``ValidationError`` for the last
    owner, so an organization is never left without one."""
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.role == MemberRole.OWNER and _lock_owners(membership.organization) <= 1:
        raise ValidationError(
            _("The last owner cannot be removed. Make another member an owner first.")
        )
    organization = membership.organization
    username = membership.user.get_username()
    membership.delete()
    log(
        instance=organization,
        action="organizations.member_removed",
        user=by,
        data={"member": username},
    )
