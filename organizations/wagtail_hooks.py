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
from wagtail.admin.panels import FieldPanel, InlinePanel
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.views.generic import IndexView
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from portal.core.admin_listing import AdminPageMixin

from . import admin_policies, incubation_services, services
from .enums import OrganizationType, Rating, ResidencyStatus, VerificationStatus
from .forms import ReturnReasonForm
from .incubation_forms import MentorForm, ResidencyDecisionForm, StageForm
from .incubation_selectors import graduation_checklist, residency_record
from .models import (
    AssessmentDimension,
    Cohort,
    IncubationStage,
    Organization,
    Region,
    Residency,
    TrainingSession,
)
from .selectors import pending_verification


class OrganizationFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(
        label=_("Verification status"), choices=VerificationStatus.choices
    )
    org_type = django_filters.ChoiceFilter(
        label=_("Organization type"), choices=OrganizationType.choices
    )
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
            buttons.insert(
                0,
                MenuItem(
                    _("Verification"),
                    url=reverse("organizations_admin:verify", args=[instance.pk]),
                    icon_name="tick",
                    priority=5,
                ),
            )
        return buttons


class VerificationView(AdminPageMixin, FormView):
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
        if not request.user.has_perm(admin_policies.MANAGE):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.organization.name

    def get_breadcrumbs_items(self):
        index = {"url": reverse("organizations_admin:index"), "label": _("Organizations")}
        return [*self.breadcrumbs_items, index, {"url": "", "label": self.organization.name}]

    def get_context_data(self, **kwargs):
        return super().get_context_data(organization=self.organization, **kwargs)

    def post(self, request, *args, **kwargs):
        decision = request.POST.get("decision")
        form = self.get_form()
        try:
            if decision == "verify":
                services.verify_organization(organization=self.organization, by=request.user)
                messages.success(
                    request, _("“%(name)s” is verified.") % {"name": self.organization.name}
                )
            elif decision == "return" and form.is_valid():
                services.return_organization(
                    organization=self.organization,
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                )
                messages.success(
                    request,
                    _("“%(name)s” was returned to its members.") % {"name": self.organization.name},
                )
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
    list_export = [
        "name",
        "slug",
        "credit_code",
        "filing_number",
        "org_type",
        "status",
        "region",
        "contact_name",
        "contact_email",
        "staff_count",
        "volunteer_count",
        "last_year_income",
        "rating",
        "rating_expires_on",
        "verified_at",
    ]
    export_filename = "organizations"
    inspect_view_enabled = True
    copy_view_enabled = False
    # Status changes go through the verification view (history + audit), never the form.
    exclude_form_fields = ["status", "verified_at", "slug"]

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("verify/<id:pk>/", VerificationView.as_view(), name="verify"),
        ]


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


class ResidencyIndexView(IndexView):
    def get_base_queryset(self):
        return (
            super().get_base_queryset().select_related("organization", "cohort", "stage", "mentor")
        )

    def get_list_more_buttons(self, instance):
        return [
            MenuItem(
                _("Manage"),
                url=reverse("residencies_admin:manage", args=[instance.pk]),
                icon_name="cogs",
                priority=5,
            ),
            MenuItem(
                _("PDF reports"),
                url=reverse("reports_admin:object", args=["incubation", instance.pk]),
                icon_name="doc-full",
                priority=6,
            ),
            *super().get_list_more_buttons(instance),
        ]


class ResidencyManageView(AdminPageMixin, FormView):
    """Staff decisions on one residency: admit/decline, mentor, stage."""

    template_name = "organizations/admin/residency_manage.html"
    header_icon = "cogs"
    page_title = _("Incubation residency")
    form_class = ResidencyDecisionForm

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(admin_policies.MANAGE):
            raise PermissionDenied
        try:
            self.residency = residency_record(kwargs["pk"])
        except Residency.DoesNotExist as exc:
            from django.http import Http404

            raise Http404 from exc
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return str(self.residency.organization)

    def get_breadcrumbs_items(self):
        index = {"url": reverse("residencies_admin:index"), "label": _("Incubation residencies")}
        return [*self.breadcrumbs_items, index, {"url": "", "label": self.get_page_subtitle()}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            residency=self.residency,
            checklist=graduation_checklist(self.residency),
            mentor_form=kwargs.get("mentor_form")
            or MentorForm(initial={"mentor": self.residency.mentor_id}),
            stage_form=kwargs.get("stage_form") or StageForm(),
        )
        return context

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        residency = self.residency
        forms_kwargs = {}
        try:
            if action in ("admit", "decline"):
                form = self.get_form()
                forms_kwargs["form"] = form
                if form.is_valid():
                    incubation_services.decide_residency(
                        residency=residency,
                        by=request.user,
                        admit=action == "admit",
                        note=form.cleaned_data["note"],
                    )
                    return self._done(_("The decision was saved."))
            elif action == "mentor":
                mentor_form = MentorForm(request.POST)
                forms_kwargs["mentor_form"] = mentor_form
                if mentor_form.is_valid():
                    incubation_services.assign_mentor(
                        residency=residency,
                        by=request.user,
                        mentor=mentor_form.cleaned_data["mentor"],
                    )
                    return self._done(_("The mentor was assigned."))
            elif action == "stage":
                stage_form = StageForm(request.POST)
                forms_kwargs["stage_form"] = stage_form
                if stage_form.is_valid():
                    incubation_services.move_to_stage(
                        residency=residency,
                        by=request.user,
                        stage=stage_form.cleaned_data["stage"],
                        on_date=stage_form.cleaned_data["on_date"],
                        note=stage_form.cleaned_data["note"],
                    )
                    return self._done(_("The stage was changed."))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        context = self.get_context_data(**forms_kwargs)
        return self.render_to_response(context)

    def _done(self, message):
        messages.success(self.request, message)
        return redirect("residencies_admin:manage", pk=self.residency.pk)


class ResidencyFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ResidencyStatus.choices)
    cohort = django_filters.ModelChoiceFilter(label=_("Cohort"), queryset=Cohort.objects.all())

    class Meta:
        model = Residency
        fields = ["status", "cohort"]


class ResidencyViewSet(ModelViewSet):
    model = Residency
    icon = "home"
    menu_label = _("Incubation residencies")
    add_to_admin_menu = False
    index_view_class = ResidencyIndexView
    list_display = ["organization", "cohort", "status", "stage", "mentor", "applied_at"]
    filterset_class = ResidencyFilterSet
    search_fields = ["organization__name"]
    list_export = [
        "organization",
        "cohort",
        "status",
        "stage",
        "mentor",
        "applied_at",
        "decided_at",
        "agreement_uploaded_at",
    ]
    export_filename = "incubation-residencies"
    form_fields = ["motivation", "needs"]
    inspect_view_enabled = True
    copy_view_enabled = False

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("manage/<id:pk>/", ResidencyManageView.as_view(), name="manage"),
        ]


class CohortViewSet(ModelViewSet):
    model = Cohort
    icon = "calendar"
    menu_label = _("Incubation cohorts")
    add_to_admin_menu = False
    list_display = [
        "name",
        "programme",
        "starts_on",
        "ends_on",
        "capacity",
        "applications_open_until",
    ]
    search_fields = ["name", "programme"]
    form_fields = [
        "programme",
        "name",
        "slug",
        "description",
        "venue",
        "support_offered",
        "capacity",
        "starts_on",
        "ends_on",
        "applications_open_until",
        "graduation_min_score",
    ]
    list_export = ["programme", "name", "starts_on", "ends_on", "capacity"]
    copy_view_enabled = False


class TrainingSessionViewSet(ModelViewSet):
    model = TrainingSession
    icon = "user"
    menu_label = _("Training sessions")
    add_to_admin_menu = False
    list_display = ["title", "cohort", "held_on", "hours"]
    list_filter = ["cohort"]
    panels = [
        FieldPanel("cohort"),
        FieldPanel("title"),
        FieldPanel("held_on"),
        FieldPanel("hours"),
        FieldPanel("venue"),
        FieldPanel("trainer"),
        InlinePanel("attendances", heading=_("Attendance"), label=_("Attendee")),
    ]
    copy_view_enabled = False


class IncubationStageViewSet(ModelViewSet):
    model = IncubationStage
    icon = "list-ol"
    menu_label = _("Incubation stages")
    add_to_admin_menu = False
    list_display = ["name", "name_en", "code", "sort_order", "kind"]
    form_fields = ["name", "name_en", "code", "sort_order", "kind"]
    copy_view_enabled = False


class AssessmentDimensionViewSet(ModelViewSet):
    model = AssessmentDimension
    icon = "list-ul"
    menu_label = _("Assessment dimensions")
    add_to_admin_menu = False
    list_display = ["name", "name_en", "code", "sort_order", "is_active"]
    form_fields = ["name", "name_en", "code", "description", "sort_order", "is_active"]
    copy_view_enabled = False


class IncubationGroup(ViewSetGroup):
    menu_label = _("Incubation")
    menu_icon = "home"
    menu_order = 310
    items = (
        ResidencyViewSet("residencies_admin"),
        CohortViewSet("cohorts_admin"),
        TrainingSessionViewSet("trainings_admin"),
        IncubationStageViewSet("stages_admin"),
        AssessmentDimensionViewSet("dimensions_admin"),
    )


@hooks.register("register_admin_viewset")
def register_viewsets():
    return OrganizationsGroup()


@hooks.register("register_admin_viewset")
def register_incubation_viewsets():
    return IncubationGroup()


@hooks.register("register_log_actions")
def register_log_actions(actions):
    actions.register_action(
        "organizations.submitted", _("Submit for verification"), _("Submitted for verification")
    )
    actions.register_action("organizations.verified", _("Verify"), _("Verified"))
    actions.register_action("organizations.returned", _("Return"), _("Returned with reasons"))
    actions.register_action(
        "organizations.document_added", _("Add document"), _("Document uploaded")
    )
    actions.register_action("organizations.member_invited", _("Invite member"), _("Member invited"))
    actions.register_action("organizations.member_joined", _("Member joined"), _("Member joined"))
    actions.register_action(
        "organizations.member_role_changed", _("Change member role"), _("Member role changed")
    )
    actions.register_action("organizations.member_removed", _("Remove member"), _("Member removed"))
    actions.register_action(
        "organizations.invitation_revoked", _("Withdraw invitation"), _("Invitation withdrawn")
    )
    actions.register_action(
        "organizations.residency_applied",
        _("Apply to cohort"),
        _("Applied to the incubation cohort"),
    )
    actions.register_action("organizations.residency_admitted", _("Admit"), _("Admitted"))
    actions.register_action("organizations.residency_declined", _("Decline"), _("Declined"))
    actions.register_action(
        "organizations.agreement_uploaded", _("Upload agreement"), _("Residency agreement uploaded")
    )
    actions.register_action("organizations.residency_stage", _("Change stage"), _("Stage changed"))
    actions.register_action(
        "organizations.mentor_assigned", _("Assign mentor"), _("Mentor assigned")
    )
    actions.register_action("organizations.service_logged", _("Log service"), _("Service logged"))
    actions.register_action(
        "organizations.assessment_recorded",
        _("Record assessment"),
        _("Capacity assessment recorded"),
    )


class PendingVerificationPanel:
    """A dashboard panel listing organizations waiting for verification."""

    order = 150

    def __init__(self, request):
        self.request = request

    def render_html(self, parent_context=None):
        from django.template.loader import render_to_string

        return render_to_string(
            "organizations/admin/pending_panel.html",
            {
                "organizations": list(pending_verification()[:10]),
            },
            request=self.request,
        )

    @property
    def media(self):
        from django.forms import Media

        return Media(css={"all": ["portal/css/dashboard.css"]})  # padding inside the panel


@hooks.register("construct_homepage_panels")
def add_pending_panel(request, panels):
    if request.user.has_perm(admin_policies.MANAGE):
        panels.append(PendingVerificationPanel(request))
