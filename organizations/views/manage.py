"""Members' pages: the personal dashboard, creating and managing an organization."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.core.errors import show_error

from .. import services
from ..forms import DocumentForm, InvitationForm, MemberRoleForm, OrganizationForm
from ..incubation_selectors import residencies_for_user
from ..middleware import staff_mfa_required
from ..models import Invitation, Membership, Organization, OrganizationDocument
from ..rules import membership_for
from ..sections import dashboard_sections
from ..selectors import organization_for_manage, recent_notifications, user_memberships


def _organization_or_404(slug: str) -> Organization:
    try:
        return organization_for_manage(slug)
    except Organization.DoesNotExist as exc:
        raise Http404 from exc


def _require(condition: bool) -> None:
    if not condition:
        raise PermissionDenied


@login_required
def dashboard(request):
    return render(
        request,
        "organizations/dashboard.html",
        {
            "memberships": list(user_memberships(request.user)),
            "pending_invitations": Invitation.objects.pending()
            .filter(email__iexact=request.user.email)
            .select_related("organization")
            if request.user.email
            else [],
            "residencies": list(residencies_for_user(request.user)),
            "notifications": recent_notifications(request.user),
            "sections": dashboard_sections(),
        },
    )


@login_required
def organization_create(request):
    form = OrganizationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            organization = services.create_organization(
                owner=request.user,
                fields=form.profile_fields(),
                service_areas=form.cleaned_data["service_areas"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _(
                    "The organization was created as a draft. Upload its "
                    "documents, then submit it for verification."
                ),
            )
            return redirect("organizations:manage", slug=organization.slug)
    return render(request, "organizations/organization_form.html", {"form": form})


@login_required
def organization_manage(request, slug):
    organization = _organization_or_404(slug)
    _require(request.user.has_perm("organizations.view_private", organization))
    return render(
        request,
        "organizations/organization_manage.html",
        {
            "organization": organization,
            "membership": membership_for(request.user, organization.pk),
            "can_edit": request.user.has_perm("organizations.edit_profile", organization),
            "can_manage_members": request.user.has_perm(
                "organizations.manage_members", organization
            ),
            "invitations": organization.invitations.pending(),
            "residencies": organization.residencies.select_related("cohort", "stage"),
            "document_form": DocumentForm(),
            "invitation_form": InvitationForm(),
            "role_choices": MemberRoleForm.base_fields["role"].choices,
        },
    )


@login_required
def organization_edit(request, slug):
    organization = _organization_or_404(slug)
    _require(request.user.has_perm("organizations.edit_profile", organization))
    if not organization.is_editable_by_members:
        messages.error(request, _("The profile cannot be changed while staff are reviewing it."))
        return redirect("organizations:manage", slug=slug)
    form = OrganizationForm(request.POST or None, request.FILES or None, instance=organization)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_organization(
                organization=organization,
                by=request.user,
                fields=form.profile_fields(),
                service_areas=form.cleaned_data["service_areas"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The profile was saved."))
            return redirect("organizations:manage", slug=slug)
    return render(
        request,
        "organizations/organization_form.html",
        {"form": form, "organization": organization},
    )


@login_required
@require_POST
def organization_submit(request, slug):
    organization = _organization_or_404(slug)
    _require(request.user.has_perm("organizations.edit_profile", organization))
    try:
        services.submit_for_verification(organization=organization, by=request.user)
    except ValidationError as error:
        show_error(error, request=request)
    else:
        messages.success(
            request,
            _("Submitted. The programme staff will check the profile within five working days."),
        )
    return redirect("organizations:manage", slug=slug)


@login_required
def document_upload(request, slug):
    organization = _organization_or_404(slug)
    _require(request.user.has_perm("organizations.edit_profile", organization))
    form = DocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_document(
                organization=organization,
                by=request.user,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
            )
        except ValidationError as error:
            form.add_error("file", error)
        else:
            messages.success(request, _("The document was uploaded."))
            return redirect("organizations:manage", slug=slug)
    return render(
        request,
        "organizations/document_form.html",
        {"form": form, "organization": organization},
        status=400 if form.errors else 200,
    )


@login_required
@staff_mfa_required
def document_download(request, slug, pk):
    document = get_object_or_404(
        OrganizationDocument.objects.select_related("organization"),
        pk=pk,
        organization__slug=slug,
    )
    _require(request.user.has_perm("organizations.view_private", document.organization))
    response = FileResponse(
        document.file.open("rb"),
        content_type=document.content_type,
        as_attachment=True,
        filename=document.original_name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def member_invite(request, slug):
    organization = _organization_or_404(slug)
    _require(request.user.has_perm("organizations.manage_members", organization))
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.invite_member(
                organization=organization,
                by=request.user,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("The invitation was sent to %(email)s.") % {"email": form.cleaned_data["email"]},
            )
            return redirect("organizations:manage", slug=slug)
    return render(
        request,
        "organizations/invitation_form.html",
        {"form": form, "organization": organization},
        status=400 if form.errors else 200,
    )


def _membership(slug, pk) -> Membership:
    return get_object_or_404(
        Membership.objects.select_related("organization", "user"),
        pk=pk,
        organization__slug=slug,
    )


@login_required
@require_POST
def member_role(request, slug, pk):
    membership = _membership(slug, pk)
    _require(request.user.has_perm("organizations.manage_members", membership.organization))
    form = MemberRoleForm(request.POST)
    if form.is_valid():
        try:
            services.change_member_role(
                membership=membership, by=request.user, role=form.cleaned_data["role"]
            )
        except ValidationError as error:
            show_error(error, request=request)
        else:
            messages.success(request, _("The role was changed."))
    else:
        messages.error(request, _("Choose a role."))
    return redirect("organizations:manage", slug=slug)


@login_required
@require_POST
def member_remove(request, slug, pk):
    membership = _membership(slug, pk)
    leaving = membership.user_id == request.user.pk
    _require(
        leaving or request.user.has_perm("organizations.manage_members", membership.organization)
    )
    try:
        services.remove_member(membership=membership, by=request.user)
    except ValidationError as error:
        show_error(error, request=request)
        return redirect("organizations:manage", slug=slug)
    messages.success(request, _("The member was removed."))
    if leaving:
        return redirect("organizations:dashboard")
    return redirect("organizations:manage", slug=slug)


@login_required
@require_POST
def invitation_revoke(request, slug, pk):
    invitation = get_object_or_404(
        Invitation.objects.select_related("organization"), pk=pk, organization__slug=slug
    )
    _require(request.user.has_perm("organizations.manage_members", invitation.organization))
    try:
        services.revoke_invitation(invitation=invitation, by=request.user)
    except ValidationError as error:
        show_error(error, request=request)
    else:
        messages.success(request, _("The invitation was withdrawn."))
    return redirect("organizations:manage", slug=slug)


@login_required
def invitation_accept(request, token):
    invitation = get_object_or_404(Invitation.objects.select_related("organization"), token=token)
    error = None
    if request.method == "POST":
        try:
            services.accept_invitation(invitation=invitation, user=request.user)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(
                request,
                _("You are now a member of %(name)s.") % {"name": invitation.organization.name},
            )
            return redirect("organizations:manage", slug=invitation.organization.slug)
    return render(
        request,
        "organizations/invitation_accept.html",
        {"invitation": invitation, "error": error},
        status=400 if error else 200,
    )
