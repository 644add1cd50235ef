"""Admin: the Evaluation menu (rubrics, evaluations, score sheets, residents' feedback),
the evaluator's queue and the staff dashboard, audit log actions and permissions."""

import django_filters
from django.urls import include, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from portal.core.admin_listing import related_index_view
from portal.core.admin_policy import register_rule_policy
from projects.scoring.admin import (
    VersionedRubricViewSet,
    new_version_link,
    role_menu_item,
)

from . import brand_admin, services, views
from .enums import EvaluationKind, EvaluationStatus, FeedbackStatus, Grade
from .forms import RubricForm
from .models import Assessment, Evaluation, EvaluationRubric, ResidentFeedback

LOG_ACTIONS = [
    (
        "evaluation.rubric.version",
        _("New evaluation rubric version"),
        _("New evaluation rubric version created"),
    ),
    ("evaluation.open", _("Open evaluation"), _("Evaluation opened")),
    ("evaluation.assign", _("Assign evaluator"), _("Evaluator assigned")),
    ("evaluation.unassign", _("Remove evaluator"), _("Evaluator removed")),
    ("evaluation.score.change", _("Change evaluation scores"), _("Evaluation scores changed")),
    ("evaluation.submit", _("Submit score sheet"), _("Score sheet submitted")),
    ("evaluation.sheet.reopen", _("Reopen score sheet"), _("Score sheet reopened")),
    ("evaluation.finalise", _("Finalise evaluation"), _("Evaluation finalised")),
    ("evaluation.reopen", _("Reopen evaluation"), _("Evaluation reopened")),
    ("evaluation.publish", _("Publish evaluation"), _("Evaluation published")),
    ("evaluation.hold.release", _("Release disbursement hold"), _("Disbursement hold released")),
    (
        "evaluation.feedback.submit",
        _("Submit residents' feedback"),
        _("Residents' feedback submitted"),
    ),
    (
        "evaluation.feedback.moderate",
        _("Moderate residents' feedback"),
        _("Residents' feedback moderated"),
    ),
    ("evaluation.brand.mark", _("Mark as brand project"), _("Marked as brand project")),
    ("evaluation.brand.edit", _("Edit brand project"), _("Brand project summary edited")),
    ("evaluation.brand.unmark", _("Remove brand project"), _("Removed from brand projects")),
    (
        "evaluation.brand.replicate",
        _("Replicate brand project"),
        _("Application started from a brand project"),
    ),
]


@hooks.register("register_log_actions")
def register_evaluation_log_actions(actions):
    for action, label, message in LOG_ACTIONS:
        actions.register_action(action, label, message)


register_rule_policy(EvaluationRubric, services.MANAGE)
for _model in (Evaluation, Assessment, ResidentFeedback):
    register_rule_policy(_model, services.MANAGE, ("view",))


class RubricViewSet(VersionedRubricViewSet):
    model = EvaluationRubric
    menu_label = _("Evaluation rubrics")
    list_display = [
        "name",
        "code",
        "version",
        "bonus_cap",
        "penalty_cap",
        "created_at",
        Column(
            "new_version",
            label=_("New version"),
            accessor=new_version_link("evaluation_rubrics:new_version"),
        ),
    ]
    list_export = ["name", "name_en", "code", "version", "bonus_cap", "penalty_cap", "created_at"]
    edit_handler = ObjectList(EvaluationRubric.panels, base_form_class=RubricForm)
    manage_permission = services.MANAGE
    version_action = "evaluation.rubric.version"
    new_version_intro = _(
        "Copy “%(name)s” version %(version)s with its dimensions and bonus and penalty items "
        "as a new version you can edit. Evaluations already opened keep the version they use."
    )
    new_version_done = _("Version %(v)d created; edit it, then pick it when opening evaluations.")


def _manage_link(evaluation):
    return format_html(
        '<a href="{}">{}</a>', reverse("evaluation:manage", args=[evaluation.pk]), _("Manage")
    )


class EvaluationFilterSet(WagtailFilterSet):
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=EvaluationKind.choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=EvaluationStatus.choices)
    grade = django_filters.ChoiceFilter(label=_("Grade"), choices=Grade.choices)

    class Meta:
        model = Evaluation
        fields = ["kind", "status", "grade"]


class EvaluationViewSet(ModelViewSet):
    """Listing and export; every action is on the manage page (services, audit log)."""

    model = Evaluation
    icon = "clipboard-list"
    menu_label = _("Evaluations")
    filterset_class = EvaluationFilterSet
    list_display = [
        "project",
        "kind",
        "status",
        "score",
        "grade",
        "published_at",
        Column("manage", label=_("Manage"), accessor=_manage_link),
    ]
    list_export = [
        "project",
        "project_id",
        "kind",
        "rubric",
        "status",
        "score",
        "grade",
        "conclusion",
        "finalised_at",
        "published_at",
        "appeal_ends_at",
        "hold_released_at",
        "hold_release_reason",
    ]
    export_filename = "evaluations"
    search_fields = ["project__title"]
    copy_view_enabled = False
    form_fields = ["conclusion"]

    index_view_class = related_index_view("project", "rubric")


class AssessmentViewSet(ModelViewSet):
    model = Assessment
    icon = "doc-full"
    menu_label = _("Score sheets")
    list_display = [
        "evaluation",
        "evaluator",
        "status",
        "base_total",
        "bonus_total",
        "penalty_total",
        "total",
        "grade",
        "submitted_at",
    ]
    list_filter = ["status"]
    list_export = [
        "evaluation",
        "evaluator",
        "status",
        "base_total",
        "bonus_total",
        "penalty_total",
        "total",
        "grade",
        "comments",
        "submitted_at",
    ]
    copy_view_enabled = False
    form_fields = ["comments"]

    index_view_class = related_index_view("evaluation__project", "evaluator")


def _moderate_link(feedback):
    label = _("Moderate") if feedback.status == FeedbackStatus.PENDING else _("Change")
    return format_html(
        '<a href="{}">{}</a>', reverse("evaluation:moderate", args=[feedback.pk]), label
    )


class FeedbackFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=FeedbackStatus.choices)
    rating = django_filters.NumberFilter(label=_("Satisfaction rating"))

    class Meta:
        model = ResidentFeedback
        fields = ["status", "rating"]


class FeedbackViewSet(ModelViewSet):
    model = ResidentFeedback
    icon = "comment"
    menu_label = _("Residents' feedback")
    filterset_class = FeedbackFilterSet
    list_display = [
        "project",
        "rating",
        "comment",
        "status",
        "created_at",
        Column("moderate", label=_("Moderate"), accessor=_moderate_link),
    ]
    list_export = [
        "project",
        "user",
        "rating",
        "comment",
        "status",
        "moderation_note",
        "moderated_at",
        "created_at",
    ]
    search_fields = ["comment", "project__title"]
    copy_view_enabled = False
    form_fields = ["comment"]

    index_view_class = related_index_view("project", "user")


class EvaluationGroup(ViewSetGroup):
    menu_label = _("Evaluation")
    menu_icon = "clipboard-list"
    menu_order = 225
    items = (
        RubricViewSet("evaluation_rubrics"),
        EvaluationViewSet("evaluation_evaluations"),
        AssessmentViewSet("evaluation_sheets"),
        FeedbackViewSet("evaluation_feedback"),
    )


@hooks.register("register_admin_viewset")
def register_evaluation_viewsets():
    return EvaluationGroup()


evaluation_urls = [
    path("mine/", views.QueueView.as_view(), name="queue"),
    path("sheets/<id:pk>/", views.SheetView.as_view(), name="sheet"),
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("<id:pk>/", views.ManageView.as_view(), name="manage"),
    path("feedback/<id:pk>/moderate/", views.ModerateFeedbackView.as_view(), name="moderate"),
    path("brand/", brand_admin.BrandListView.as_view(), name="brand_list"),
    path("brand/<id:pk>/", brand_admin.BrandMarkView.as_view(), name="brand_mark"),
]


@hooks.register("register_admin_urls")
def register_evaluation_urls():
    return [path("evaluation/", include((evaluation_urls, "evaluation"), namespace="evaluation"))]


@hooks.register("register_admin_menu_item")
def register_queue_menu_item():
    return role_menu_item(
        _("My evaluations"),
        "evaluation:queue",
        permission="evaluation.score_evaluations",
        icon_name="clipboard-list",
        order=217,
        name="my-evaluations",
    )


@hooks.register("register_admin_menu_item")
def register_dashboard_menu_item():
    return role_menu_item(
        _("Evaluation dashboard"),
        "evaluation:dashboard",
        permission="evaluation.manage_evaluation",
        icon_name="table",
        order=218,
        name="evaluation-dashboard",
    )


@hooks.register("register_admin_menu_item")
def register_brand_menu_item():
    return role_menu_item(
        _("Brand projects"),
        "evaluation:brand_list",
        permission="evaluation.manage_evaluation",
        icon_name="pick",
        order=219,
        name="brand-projects",
    )
