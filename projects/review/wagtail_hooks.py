"""Review in the Wagtail admin: menus, viewsets, custom views, audit actions."""

import django_filters
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import include, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import CreateView, DeleteView, InspectView
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from organizations.roles import REVIEWER
from portal.core.admin_listing import related_index_view
from portal.core.admin_policy import register_rule_policy
from portal.core.errors import show_error
from portal.core.ids import IdChoiceFilter
from projects.models import CallPage
from projects.scoring.admin import (
    VersionedRubricViewSet,
    new_version_link,
    role_menu_item,
)

from . import appeal_views, publish_views, services, views
from .enums import AppealStatus, AssignmentStatus, ReviewStatus
from .forms import RubricForm
from .models import (
    Appeal,
    Assignment,
    ConflictOfInterest,
    Decision,
    RankingEntry,
    Review,
    ReviewerProfile,
    ReviewSettings,
    Rubric,
)

LOG_ACTIONS = [
    ("review.rubric.version", _("New rubric version"), _("New rubric version created")),
    ("review.assignment.create", _("Assign reviewer"), _("Reviewer assigned")),
    ("review.assignment.remove", _("Remove reviewer"), _("Reviewer assignment removed")),
    ("review.conflict.declared", _("Declare conflict"), _("Conflict of interest declared")),
    ("review.conflict.none", _("Declare no conflict"), _("No conflict of interest declared")),
    (
        "review.roster.declared",
        _("Declare conflicts against the roster"),
        _("Conflicts declared against the call's roster of applicants"),
    ),
    ("review.conflict.record", _("Record conflict"), _("Conflict of interest recorded by staff")),
    ("review.score.change", _("Change scores"), _("Scores changed")),
    ("review.submit", _("Submit review"), _("Review submitted")),
    ("review.abstain", _("Abstain"), _("Reviewer abstained")),
    ("review.reopen", _("Reopen review"), _("Review reopened")),
    ("review.rank", _("Rank call"), _("Call ranked")),
    ("review.publish", _("Publish results"), _("Results published for public notice")),
    (
        "review.publish.override",
        _("Publish results anyway"),
        _("Results published despite missing reviews or an open review window"),
    ),
    (
        "review.tie.decide",
        _("Record the committee's order for a tie"),
        _("Review committee's order for applications tied at a cut recorded"),
    ),
    ("review.appeal.record", _("Record appeal"), _("Appeal recorded")),
    ("review.appeal.resolve", _("Resolve appeal"), _("Appeal resolved")),
    ("review.appeal.submit", _("Submit appeal"), _("Appeal submitted online by the applicant")),
    ("review.appeal.withdraw", _("Withdraw appeal"), _("Appeal withdrawn by the applicant")),
]


@hooks.register("register_log_actions")
def register_review_log_actions(actions):
    for action, label, message in LOG_ACTIONS:
        actions.register_action(action, label, message)


for _model in (Rubric, ReviewSettings, ReviewerProfile, ConflictOfInterest):
    register_rule_policy(_model, services.MANAGE)
register_rule_policy(Appeal, services.MANAGE, ("add", "view"))
register_rule_policy(Assignment, services.MANAGE, ("view", "delete"))
for _model in (Review, RankingEntry, Decision):
    register_rule_policy(_model, services.MANAGE, ("view",))


def _calls():
    return CallPage.objects.filter(review_settings__isnull=False)


class RubricViewSet(VersionedRubricViewSet):
    model = Rubric
    menu_label = _("Rubrics")
    list_display = [
        "name",
        "code",
        "version",
        "created_at",
        Column(
            "new_version",
            label=_("New version"),
            accessor=new_version_link("review_rubrics:new_version"),
        ),
    ]
    list_export = ["name", "code", "version", "description", "created_at"]
    edit_handler = ObjectList(Rubric.panels, base_form_class=RubricForm)
    manage_permission = services.MANAGE
    version_action = "review.rubric.version"
    back_link = views.BACK_LINK
    new_version_intro = _(
        "Copy “%(name)s” version %(version)s with all its criteria as a new version you can "
        "edit. Reviews already scored keep the version they used."
    )
    new_version_done = _(
        "Version %(v)d created; edit it, then pick it in the call's review settings."
    )


class ReviewSettingsViewSet(ModelViewSet):
    model = ReviewSettings
    icon = "cogs"
    menu_label = _("Review settings")
    list_display = [
        "call",
        "rubric",
        "reviewers_per_application",
        "blind",
        "deadline",
        Column(
            "progress",
            label=_("Progress"),
            accessor=lambda s: format_html(
                '<a href="{}">{}</a>',
                reverse("review:progress", args=[s.call_id]),
                _("Open dashboard"),
            ),
        ),
    ]
    copy_view_enabled = False

    index_view_class = related_index_view("call", "rubric")


class AssignmentFilterSet(WagtailFilterSet):
    application__call = IdChoiceFilter(label=_("Call"), queryset=_calls())
    status = django_filters.ChoiceFilter(label=_("Status"), choices=AssignmentStatus.choices)
    reviewer = django_filters.ModelChoiceFilter(
        label=_("Reviewer"),
        queryset=get_user_model().objects.filter(groups__name=REVIEWER).distinct(),
    )

    class Meta:
        model = Assignment
        fields = ["application__call", "status", "reviewer"]


class AssignmentDeleteView(DeleteView):
    """Removal goes through the service (refuses handed-in reviews, writes the log)."""

    def delete_action(self):
        services.remove_assignment(assignment=self.object, by=self.request.user)

    def form_valid(self, form):
        from django.contrib import messages

        try:
            return super().form_valid(form)
        except ValidationError as error:
            messages.error(self.request, error.messages[0])
            return redirect(self.index_url_name)


class AssignmentViewSet(ModelViewSet):
    model = Assignment
    icon = "user"
    menu_label = _("Assignments")
    filterset_class = AssignmentFilterSet
    delete_view_class = AssignmentDeleteView
    list_display = ["application", "reviewer", "status", "conflict_reason", "created_at"]
    list_export = [
        "application",
        "application_id",
        "reviewer",
        "status",
        "conflict_reason",
        "declared_at",
        "created_at",
    ]
    search_fields = ["application__title", "reviewer__username"]
    form_fields = ["application", "reviewer"]
    copy_view_enabled = False

    index_view_class = related_index_view("application", "reviewer")


class ReviewInspectView(InspectView):
    template_name = "review/admin/review_inspect.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            review=self.object, scores=self.object.scores.select_related("criterion"), **kwargs
        )


class ReviewFilterSet(WagtailFilterSet):
    assignment__application__call = IdChoiceFilter(label=_("Call"), queryset=_calls())
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ReviewStatus.choices)

    class Meta:
        model = Review
        fields = ["assignment__application__call", "status"]


class ReviewViewSet(ModelViewSet):
    model = Review
    icon = "doc-full"
    menu_label = _("Reviews")
    inspect_view_enabled = True
    inspect_view_class = ReviewInspectView
    filterset_class = ReviewFilterSet
    list_display = ["assignment", "status", "total", "recommendation", "submitted_at"]
    list_export = [
        "assignment",
        "rubric",
        "status",
        "total",
        "recommendation",
        "strengths",
        "weaknesses",
        "comments",
        "abstain_reason",
        "submitted_at",
    ]
    copy_view_enabled = False
    form_fields = ["strengths"]

    index_view_class = related_index_view(
        "assignment__application", "assignment__reviewer", "rubric"
    )

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("reopen/<id:pk>/", views.ReopenView.as_view(), name="reopen"),
        ]


class RankingFilterSet(WagtailFilterSet):
    call = IdChoiceFilter(label=_("Call"), queryset=_calls())
    tier = django_filters.ChoiceFilter(
        label=_("Tier"), choices=RankingEntry._meta.get_field("tier").choices
    )
    disagreement = django_filters.BooleanFilter(label=_("Reviewers disagree"))

    class Meta:
        model = RankingEntry
        fields = ["call", "tier", "disagreement"]


class RankingViewSet(ModelViewSet):
    """The ranking report (排名), exportable as CSV/XLSX."""

    model = RankingEntry
    icon = "order"
    menu_label = _("Ranking")
    filterset_class = RankingFilterSet
    list_display = [
        "rank",
        "application",
        Column("org", label=_("Organization"), accessor="application.organization"),
        "normalised",
        "mean",
        "median",
        "key_score",
        "n_reviews",
        "disagreement",
        "tier",
    ]
    list_export = [
        "call",
        "rank",
        "application_id",
        "application",
        "application.organization",
        "normalised",
        "mean",
        "median",
        "key_score",
        "n_reviews",
        "spread",
        "disagreement",
        "first_submitted_at",
        "tier",
        "computed_at",
    ]
    export_headings = {"application.organization": _("Organization")}
    export_filename = "ranking"
    ordering = ["call", "rank"]
    copy_view_enabled = False
    form_fields = ["rank"]

    index_view_class = related_index_view("call", "application__organization")


class DecisionViewSet(ModelViewSet):
    model = Decision
    icon = "success"
    menu_label = _("Decisions")
    list_display = ["rank", "application", "tier", "project", "published_at"]
    list_filter = ["tier"]
    list_export = ["call", "rank", "application", "normalised", "tier", "project", "published_at"]
    copy_view_enabled = False
    form_fields = ["rank"]

    index_view_class = related_index_view("application", "project", "call")


class ServiceCreateView(CreateView):
    """A create view whose ``save_instance`` goes through a service (its rules and audit
    log); a refusal is shown next to the field and nothing is saved."""

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ValidationError as error:
            show_error(error, form=form)
            self.produced_error_message = self.get_error_message()
            return self.form_invalid(form)


class AppealCreateView(ServiceCreateView):
    def save_instance(self):
        data = self.form.cleaned_data
        return services.record_appeal(
            decision=data["decision"],
            appellant=data["appellant"],
            text=data["text"],
            received_at=data.get("received_at"),
            by=self.request.user,
        )


class ConflictCreateView(ServiceCreateView):
    def save_instance(self):
        data = self.form.cleaned_data
        return services.record_conflict(
            reviewer=data["reviewer"],
            organization=data["organization"],
            reason=data["reason"],
            by=self.request.user,
        )


def _resolve_link(appeal):
    if appeal.status != AppealStatus.OPEN:
        return appeal.get_status_display()
    return format_html(
        '<a href="{}">{}</a>', reverse("review:resolve_appeal", args=[appeal.pk]), _("Resolve")
    )


class AppealViewSet(ModelViewSet):
    model = Appeal
    icon = "warning"
    menu_label = _("Appeals")
    list_display = [
        "decision",
        "appellant",
        "received_at",
        Column("attachment_link", label=_("Attachment"), accessor=appeal_views.attachment_link),
        Column("outcome", label=_("Status"), accessor=_resolve_link),
        "resolution",
    ]
    list_filter = ["status"]
    list_export = [
        "decision",
        "appellant",
        "text",
        "received_at",
        "status",
        "resolution",
        "resolved_at",
    ]
    copy_view_enabled = False
    add_view_class = AppealCreateView

    index_view_class = related_index_view("decision__application")


class ConflictViewSet(ModelViewSet):
    model = ConflictOfInterest
    icon = "cross"
    menu_label = _("Conflicts of interest")
    list_display = ["reviewer", "organization", "reason", "created_at"]
    form_fields = ["reviewer", "organization", "reason"]
    search_fields = ["organization__name", "reviewer__username"]
    copy_view_enabled = False
    add_view_class = ConflictCreateView
    index_view_class = related_index_view("reviewer", "organization")


class ReviewerProfileViewSet(ModelViewSet):
    model = ReviewerProfile
    icon = "user"
    menu_label = _("Reviewer profiles")
    list_display = ["user", "district", "expertise"]
    form_fields = ["user", "district", "expertise"]
    copy_view_enabled = False
    index_view_class = related_index_view("user", "district")


class ReviewGroup(ViewSetGroup):
    menu_label = _("Review")
    menu_icon = "tasks"
    menu_order = 220
    items = (
        RubricViewSet("review_rubrics"),
        ReviewSettingsViewSet("review_settings"),
        AssignmentViewSet("review_assignments"),
        ReviewViewSet("review_reviews"),
        RankingViewSet("review_ranking"),
        DecisionViewSet("review_decisions"),
        AppealViewSet("review_appeals"),
        ConflictViewSet("review_conflicts"),
        ReviewerProfileViewSet("review_profiles"),
    )


@hooks.register("register_admin_viewset")
def register_review_viewsets():
    return ReviewGroup()


review_urls = [
    path("queue/", views.QueueView.as_view(), name="queue"),
    path("assignments/<id:pk>/", views.AssignmentView.as_view(), name="assignment"),
    path(
        "assignments/<id:pk>/attachments/<id:attachment_pk>/",
        views.attachment_download,
        name="attachment",
    ),
    path("calls/", views.CallsView.as_view(), name="calls"),
    path("calls/<id:pk>/", views.ProgressView.as_view(), name="progress"),
    path("calls/<id:pk>/roster/", views.RosterView.as_view(), name="roster"),
    path("calls/<id:pk>/publish/", publish_views.PublishConfirmView.as_view(), name="publish"),
    path("appeals/<id:pk>/resolve/", views.ResolveAppealView.as_view(), name="resolve_appeal"),
    path(
        "appeals/<id:pk>/attachment/",
        appeal_views.AppealAttachmentView.as_view(),
        name="appeal_attachment",
    ),
]


@hooks.register("register_admin_urls")
def register_review_urls():
    return [path("review/", include((review_urls, "review"), namespace="review"))]


@hooks.register("register_admin_menu_item")
def register_queue_menu_item():
    return role_menu_item(
        _("My reviews"),
        "review:queue",
        permission="review.open_review_queue",
        icon_name="tasks",
        order=215,
        name="my-reviews",
    )


@hooks.register("register_admin_menu_item")
def register_progress_menu_item():
    return role_menu_item(
        _("Review progress"),
        "review:calls",
        permission="review.manage_review",
        icon_name="table",
        order=216,
        name="review-progress",
    )
