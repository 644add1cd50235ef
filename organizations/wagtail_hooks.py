"""Staff admin: organizations (with the verification decision), regions, audit actions."""

import django_filters
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.views.generic import IndexView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from . import services
from .enums import OrganizationType, Rating, VerificationStatus
from .forms import ReturnReasonForm
from .models import Organization, Region
from .selectors import pending_verification


class OrganizationFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(label=_("Verification status"),
                                         choices=VerificationStatus.choices)
    org_type = django_filters.ChoiceFilter(label=_("Organization type"),
                                           choices=OrganizationType.choices)
    rating = django_filters.ChoiceFilter(label=_("Evaluation rating"), choices=Rating.choices)

    class Meta:
        model = Organization
        fields = ["status", "org_type", "rating"]


class OrganizationIndexView(IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("region")

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if instance.status == VerificationStatus.SUBMITTED or instance.is_verified:
            buttons.insert(0, MenuItem(
                _("Verification"),
                url=reverse("organizations_admin:verify", args=[instance.pk]),
                icon_name="tick",
                priority=5,
            ))
        return buttons


class VerificationView(WagtailAdminTemplateMixin, FormView):
    """Staff decision on a submitted organization: verify, or return with a reason."""

    template_name = "organizations/admin/verify.html"
    form_class = ReturnReasonForm
    header_icon = "tick"
    page_title = _("Verification")

    def dispatch(self, request, *args, **kwargs):
        self.organization = get_object_or_404(
            Organization.objects.select_related("region__parent").prefetch_related(
                "documents", "verification_events__actor", "memberships__user", "service_areas"
            ),
            pk=kwargs["pk"],
        )
        if not request.user.has_perm("organizations.change_organization"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.organization.name

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items,
                {"url": reverse("organizations_admin:index"), "label": _("Organizations")},
                {"url": "", "label": self.organization.name}]

    def get_context_data(self, **kwargs):
        return super().get_context_data(organization=self.organization, **kwargs)

    def post(self, request, *args, **kwargs):
        decision = request.POST.get("decision")
        form = self.get_form()
        try:
            if decision == "verify":
                services.verify_organization(organization=self.organization, by=request.user)
                messages.success(request, _("“%(name)s” is verified.")
                                 % {"name": self.organization.name})
            elif decision == "return" and form.is_valid():
                services.return_organization(organization=self.organization, by=request.user,
                                             reason=form.cleaned_data["reason"])
                messages.success(request, _("“%(name)s” was returned to its members.")
                                 % {"name": self.organization.name})
            else:
                return self.form_invalid(form)
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        return redirect("organizations_admin:index")


class OrganizationViewSet(ModelViewSet):
    model = Organization
    icon = "group"
    menu_label = _("Organizations")
    add_to_admin_menu = False
    index_view_class = OrganizationIndexView
    list_display = ["name", "org_type", "status", "region", "rating", "updated_at"]
    filterset_class = OrganizationFilterSet
    search_fields = ["name", "credit_code"]
    list_export = ["name", "slug", "credit_code", "filing_number", "org_type", "status",
                   "region", "contact_name", "contact_email", "staff_count", "volunteer_count",
                   "last_year_income", "rating", "rating_expires_on", "verified_at"]
    export_filename = "organizations"
    inspect_view_enabled = True
    copy_view_enabled = False
    # Status changes go through the verification view (history + audit), never the form.
    exclude_form_fields = ["status", "verified_at", "slug"]

    def get_urlpatterns(self):
        return [*super().get_urlpatterns(),
                path("verify/<int:pk>/", VerificationView.as_view(), name="verify")]


class RegionViewSet(ModelViewSet):
    model = Region
    icon = "site"
    menu_label = _("Administrative regions")
    add_to_admin_menu = False
    list_display = ["name", "code", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["name", "code"]
    form_fields = ["name", "name_en", "code", "level", "parent"]
    copy_view_enabled = False


class OrganizationsGroup(ViewSetGroup):
    menu_label = _("Organizations")
    menu_icon = "group"
    menu_order = 300
    items = (OrganizationViewSet("organizations_admin"), RegionViewSet("regions_admin"))


@hooks.register("register_admin_viewset")
def register_viewsets():
    return OrganizationsGroup()


@hooks.register("register_log_actions")
def register_log_actions(actions):
    actions.register_action("organizations.submitted", _("Submit for verification"),
                            _("Submitted for verification"))
    actions.register_action("organizations.verified", _("Verify"), _("Verified"))
    actions.register_action("organizations.returned", _("Return"), _("Returned with reasons"))
    actions.register_action("organizations.document_added", _("Add document"),
                            _("Document uploaded"))
    actions.register_action("organizations.member_invited", _("Invite member"),
                            _("Member invited"))
    actions.register_action("organizations.member_joined", _("Member joined"),
                            _("Member joined"))
    actions.register_action("organizations.member_role_changed", _("Change member role"),
                            _("Member role changed"))
    actions.register_action("organizations.member_removed", _("Remove member"),
                            _("Member removed"))
    actions.register_action("organizations.invitation_revoked", _("Withdraw invitation"),
                            _("Invitation withdrawn"))


class PendingVerificationPanel:
    """A dashboard panel listing organizations waiting for verification."""

    order = 150

    def __init__(self, request):
        self.request = request

    def render_html(self, parent_context=None):
        from django.template.loader import render_to_string

        return render_to_string("organizations/admin/pending_panel.html", {
            "organizations": list(pending_verification()[:10]),
        }, request=self.request)

    @property
    def media(self):
        from django.forms import Media

        return Media()


@hooks.register("construct_homepage_panels")
def add_pending_panel(request, panels):
    if request.user.has_perm("organizations.change_organization"):
        panels.append(PendingVerificationPanel(request))

