"""Staff admin for calls, the service catalogue, applications (screening) and needs."""

import django_filters
from django.contrib import messages as django_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.utils.functional import classproperty
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, StatusTagColumn
from wagtail.admin.views.pages.listing import IndexView as PageIndexView
from wagtail.admin.viewsets.pages import PageListingViewSet
from wagtail.snippets.bulk_actions.snippet_bulk_action import SnippetBulkAction
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import InspectView, SnippetViewSet, SnippetViewSetGroup

from portal.core.admin_listing import restricted_chooser_viewset
from portal.core.admin_policy import register_rule_policy
from portal.core.ids import IdChoiceFilter
from portal.core.money import format_fen

from . import services
from .enums import ApplicationStatus, CallState, NeedStatus
from .forms import DeclineNeedForm, MergeNeedForm, NeedEnglishForm, ReturnForm, ScreeningForm
from .models import Application, CallPage, CommunityNeed, ServiceCategory, ServiceItem
from .presenters import Lookups, diff, present
from .selectors import call_counts

LOG_ACTIONS = [
    ("projects.application.start", _("Start application"), _("Application started")),
    ("projects.application.submitted", _("Submit application"), _("Application submitted")),
    ("projects.application.resubmitted", _("Resubmit application"), _("Application resubmitted")),
    (
        "projects.application.returned",
        _("Return application"),
        _("Application returned for more information"),
    ),
    ("projects.application.eligible", _("Mark eligible"), _("Application marked eligible")),
    ("projects.application.ineligible", _("Mark ineligible"), _("Application marked ineligible")),
    ("projects.application.withdrawn", _("Withdraw application"), _("Application withdrawn")),
    ("projects.need.post", _("Raise need"), _("Need raised")),
    ("projects.need.publish", _("Publish need"), _("Need published")),
    ("projects.need.decline", _("Decline need"), _("Need declined")),
    ("projects.need.merge", _("Merge need"), _("Need merged")),
    ("projects.need.english", _("Edit English version"), _("English version edited")),
    ("projects.project.english", _("Edit English version"), _("English version edited")),
]


@hooks.register("register_log_actions")
def register_project_log_actions(actions):
    for action, label, message in LOG_ACTIONS:
        actions.register_action(action, label, message)


# Programme staff may view; every change goes through the services (never the generic
# edit form, which would bypass the state machine).
register_rule_policy(Application, "projects.manage_applications", ("view",))
register_rule_policy(CommunityNeed, "projects.moderate_needs", ("view",))


# --- service catalogue ----------------------------------------------------------------------


class ServiceCategoryViewSet(SnippetViewSet):
    model = ServiceCategory
    icon = "list-ul"
    menu_label = _("Service categories")
    list_display = ["code", "name", "name_en", "sort_order"]
    list_export = ["code", "name", "name_en", "description", "keywords", "sort_order"]
    search_fields = ["code", "name", "name_en", "keywords"]
    ordering = ["sort_order", "code"]


class ServiceItemViewSet(SnippetViewSet):
    model = ServiceItem
    icon = "list-ol"
    menu_label = _("Service items")
    list_display = ["code", "name", "name_en", "category"]
    list_filter = ["category"]
    list_export = ["code", "name", "name_en", "category", "description"]
    search_fields = ["code", "name", "name_en"]


# --- calls ---------------------------------------------------------------------------------


class CallIndexView(PageIndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().annotate(**call_counts())


def _state_label(call):
    return CallState(call.state()).label


class CallListingViewSet(PageListingViewSet):
    model = CallPage
    icon = "doc-full"
    menu_label = _("Calls")
    name = "calls"
    index_view_class = CallIndexView
    columns = [
        *PageIndexView.base_columns,
        Column("call_state", label=_("Call state"), accessor=_state_label),
        Column("n_drafts", label=_("Drafts"), accessor="n_drafts"),
        Column("n_submitted", label=_("Submitted"), accessor="n_submitted"),
        Column("n_returned", label=_("Returned"), accessor="n_returned"),
        Column("n_screened", label=_("Screened"), accessor="n_screened"),
    ]


# --- applications ---------------------------------------------------------------------------


class ApplicationFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ApplicationStatus.choices)
    call = IdChoiceFilter(
        label=_("Call"), queryset=CallPage.objects.filter(locale__language_code="zh-hans")
    )

    class Meta:
        model = Application
        fields = ["status", "call"]


class ApplicationInspectView(InspectView):
    """Screening (资格审查): the application as handed in, revision diffs, the decision."""

    template_name = "projects/admin/application_inspect.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        application = self.object
        revisions = list(application.revisions.select_related("created_by"))
        lookups = Lookups([application.answers])
        context.update(
            {
                "application": application,
                "sections": present(application.answers, lookups),
                "attachments": application.attachments.all(),
                "revisions": revisions,
                "diffs": [
                    {"number": new.number, "changes": diff(old.snapshot, new.snapshot)}
                    for old, new in zip(revisions, revisions[1:], strict=False)
                ],
                "events": application.events.select_related("actor"),
                "screening_form": getattr(self, "screening_form", None)
                or ScreeningForm(
                    initial={
                        "deadline": services.default_return_deadline().strftime("%Y-%m-%dT%H:%M")
                    }
                ),
                "can_screen": application.status
                in (ApplicationStatus.SUBMITTED, ApplicationStatus.RESUBMITTED),
            }
        )
        return context

    def post(self, request, *args, **kwargs):
        form = ScreeningForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                if d["decision"] == "returned":
                    services.return_application(
                        application=self.object,
                        by=request.user,
                        message=d["reason"],
                        deadline=d["deadline"],
                    )
                else:
                    services.screen_application(
                        application=self.object,
                        by=request.user,
                        eligible=d["decision"] == "eligible",
                        reason=d["reason"],
                    )
            except PermissionDenied:
                raise
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                django_messages.success(
                    request, _("Decision saved; the applicant has been notified.")
                )
                return redirect(request.path)
        self.screening_form = form
        return self.render_to_response(self.get_context_data(), status=400)


def _applications_visible(queryset, user):
    """Applications (drafts included) are programme staff's to pick; nobody else's."""
    return queryset if user.has_perm("projects.manage_applications") else queryset.none()


def _needs_visible(queryset, user):
    """Pending and declined needs are programme staff's; others see published ones."""
    if user.has_perm("projects.moderate_needs"):
        return queryset
    return queryset.filter(status__in=[NeedStatus.PUBLISHED, NeedStatus.MERGED])


class ApplicationViewSet(SnippetViewSet):
    model = Application
    chooser_viewset_class = restricted_chooser_viewset(_applications_visible)
    icon = "form"
    menu_label = _("Applications")
    inspect_view_enabled = True
    inspect_view_class = ApplicationInspectView
    filterset_class = ApplicationFilterSet
    list_display = [
        "__str__",
        "organization",
        "call",
        StatusTagColumn(
            "status",
            label=_("Status"),
            accessor="get_status_display",
            primary=lambda a: (
                a.status in (ApplicationStatus.SUBMITTED, ApplicationStatus.RESUBMITTED)
            ),
        ),
        Column(
            "requested",
            label=_("Amount requested"),
            accessor=lambda a: format_fen(a.requested_amount, a.currency),
        ),
        "last_submitted_at",
    ]
    list_export = [
        "pk",
        "title",
        "organization",
        "call",
        "status",
        "requested_amount",
        "self_funding_amount",
        "total_amount",
        "submitted_at",
        "last_submitted_at",
    ]
    search_fields = ["title", "organization__name"]
    ordering = ["-last_submitted_at", "-pk"]

    def get_queryset(self, request):
        return Application.objects.select_related("organization", "call")


class ScreeningBulkAction(SnippetBulkAction):
    """Base for bulk decisions; each object goes through the service (and is notified)."""

    template_name = "projects/admin/bulk_screening.html"

    @classproperty
    def models(cls):
        return [Application]

    def check_perm(self, obj):
        return self.request.user.has_perm("projects.manage_applications") and obj.status in (
            ApplicationStatus.SUBMITTED,
            ApplicationStatus.RESUBMITTED,
        )

    def get_execution_context(self):
        return {"user": self.request.user, "data": self.cleaned_form.cleaned_data}

    def get_success_message(self, num_parent_objects, num_child_objects):
        return ngettext(
            "%(count)d application updated.", "%(count)d applications updated.", num_parent_objects
        ) % {"count": num_parent_objects}


class MarkEligibleBulkAction(ScreeningBulkAction):
    display_name = _("Mark eligible")
    action_type = "mark_eligible"
    aria_label = _("Mark the selected applications eligible")

    @classmethod
    def execute_action(cls, objects, user=None, data=None, **kwargs):
        for application in objects:
            services.screen_application(application=application, by=user, eligible=True)
        return len(objects), 0


class IneligibleForm(DeclineNeedForm):
    pass


class MarkIneligibleBulkAction(ScreeningBulkAction):
    display_name = _("Mark ineligible")
    action_type = "mark_ineligible"
    aria_label = _("Mark the selected applications ineligible")
    form_class = IneligibleForm

    @classmethod
    def execute_action(cls, objects, user=None, data=None, **kwargs):
        for application in objects:
            services.screen_application(
                application=application, by=user, eligible=False, reason=data["reason"]
            )
        return len(objects), 0


class ReturnBulkAction(ScreeningBulkAction):
    display_name = _("Return for more information")
    action_type = "return_for_information"
    aria_label = _("Return the selected applications for more information")
    form_class = ReturnForm

    @classmethod
    def execute_action(cls, objects, user=None, data=None, **kwargs):
        for application in objects:
            services.return_application(
                application=application, by=user, message=data["message"], deadline=data["deadline"]
            )
        return len(objects), 0


for _action in (MarkEligibleBulkAction, MarkIneligibleBulkAction, ReturnBulkAction):
    hooks.register("register_bulk_action", _action)


# --- community needs ------------------------------------------------------------------------


class NeedInspectView(InspectView):
    """Moderation: publish, merge into another need, or decline with a reason."""

    template_name = "projects/admin/need_inspect.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        need = self.object
        context.update(
            {
                "need": need,
                "photos": need.photos.all(),
                "decline_form": getattr(self, "decline_form", None) or DeclineNeedForm(),
                "merge_form": getattr(self, "merge_form", None) or MergeNeedForm(need=need),
                "english_form": getattr(self, "english_form", None)
                or NeedEnglishForm(instance=need),
                "can_publish": need.status in (NeedStatus.PENDING, NeedStatus.DECLINED),
                "can_merge": need.status != NeedStatus.MERGED,
            }
        )
        return context

    def post(self, request, *args, **kwargs):
        need = self.object
        action = request.POST.get("action")
        try:
            if action == "publish":
                services.publish_need(need=need, by=request.user)
            elif action == "decline":
                self.decline_form = DeclineNeedForm(request.POST)
                if not self.decline_form.is_valid():
                    return self.render_to_response(self.get_context_data(), status=400)
                services.decline_need(
                    need=need, by=request.user, reason=self.decline_form.cleaned_data["reason"]
                )
            elif action == "english":
                self.english_form = NeedEnglishForm(request.POST, instance=need)
                if not self.english_form.is_valid():
                    return self.render_to_response(self.get_context_data(), status=400)
                services.update_need_english(
                    need=need,
                    by=request.user,
                    title_en=self.english_form.cleaned_data["title_en"],
                    description_en=self.english_form.cleaned_data["description_en"],
                )
            elif action == "merge":
                self.merge_form = MergeNeedForm(request.POST, need=need)
                if not self.merge_form.is_valid():
                    return self.render_to_response(self.get_context_data(), status=400)
                services.merge_need(
                    need=need, into=self.merge_form.cleaned_data["into"], by=request.user
                )
            else:
                return redirect(request.path)
        except ValidationError as exc:
            django_messages.error(request, exc.messages[0])
            return redirect(request.path)
        django_messages.success(request, _("Saved."))
        return redirect(request.path)


class NeedViewSet(SnippetViewSet):
    model = CommunityNeed
    chooser_viewset_class = restricted_chooser_viewset(_needs_visible)
    icon = "help"
    menu_label = _("Community needs")
    inspect_view_enabled = True
    inspect_view_class = NeedInspectView
    list_display = [
        "title",
        "region",
        "service_item",
        "people_affected",
        StatusTagColumn(
            "status",
            label=_("Status"),
            accessor="get_status_display",
            primary=lambda n: n.status == NeedStatus.PENDING,
        ),
        "created_at",
    ]
    list_filter = ["status", "service_item__category"]
    list_export = [
        "pk",
        "title",
        "region",
        "service_item",
        "people_affected",
        "status",
        "created_at",
        "published_at",
    ]
    search_fields = ["title", "description"]

    def get_queryset(self, request):
        return CommunityNeed.objects.select_related("region", "service_item")


class PublishNeedsBulkAction(SnippetBulkAction):
    display_name = _("Publish")
    action_type = "publish_needs"
    aria_label = _("Publish the selected needs")
    template_name = "projects/admin/bulk_screening.html"

    @classproperty
    def models(cls):
        return [CommunityNeed]

    def check_perm(self, obj):
        return (
            self.request.user.has_perm("projects.moderate_needs")
            and obj.status == NeedStatus.PENDING
        )

    def get_execution_context(self):
        return {"user": self.request.user}

    @classmethod
    def execute_action(cls, objects, user=None, **kwargs):
        for need in objects:
            services.publish_need(need=need, by=user)
        return len(objects), 0

    def get_success_message(self, num_parent_objects, num_child_objects):
        return ngettext(
            "%(count)d need published.", "%(count)d needs published.", num_parent_objects
        ) % {"count": num_parent_objects}


hooks.register("register_bulk_action", PublishNeedsBulkAction)


class ProjectsAdminGroup(SnippetViewSetGroup):
    menu_label = _("Calls and applications")
    menu_icon = "doc-full-inverse"
    menu_order = 210
    items = (
        CallListingViewSet,
        ApplicationViewSet,
        NeedViewSet,
        ServiceCategoryViewSet,
        ServiceItemViewSet,
    )


register_snippet(ProjectsAdminGroup)
