"""Delivery in the Wagtail admin: the "Funded projects" list, the project page with its
actions, audit log actions."""

import django_filters
from django.urls import include, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import IndexView
from wagtail.admin.viewsets.model import ModelViewSet

from portal.core.admin_policy import register_rule_policy
from portal.core.ids import IdChoiceFilter
from projects.models import CallPage

from . import admin_views, schedule_admin
from .enums import DeliveryStage
from .models import Delivery

LOG_ACTIONS = [
    ("delivery.start", _("Start delivery"), _("Delivery started")),
    ("delivery.advance", _("Change stage"), _("Funded project moved to another stage")),
    ("delivery.terminate", _("Terminate"), _("Funded project terminated")),
    ("delivery.agreement", _("Record agreement"), _("Signed agreement recorded")),
    ("delivery.milestone.add", _("Add milestone"), _("Milestone added")),
    ("delivery.milestone.decide", _("Decide milestone"), _("Proposed milestone decided")),
    ("delivery.report.submit", _("Submit progress report"), _("Progress report submitted")),
    ("delivery.report.accept", _("Accept progress report"), _("Progress report accepted")),
    ("delivery.report.return", _("Return progress report"), _("Progress report returned")),
    (
        "delivery.close.override",
        _("Close without a checklist item"),
        _("Project closed without a checklist item (reason given)"),
    ),
    ("delivery.budget.revise", _("Revise budget lines"), _("Budget lines revised")),
    ("delivery.schedule.set", _("Set payment schedule"), _("Payment schedule set")),
    (
        "delivery.schedule.record",
        _("Record scheduled tranche"),
        _("Tranche recorded from the payment schedule"),
    ),
    ("delivery.payee.save", _("Enter bank details"), _("Payee bank details entered")),
    ("delivery.payee.verify", _("Verify bank details"), _("Payee bank details verified")),
]


@hooks.register("register_log_actions")
def register_delivery_log_actions(actions):
    for action, label, message in LOG_ACTIONS:
        actions.register_action(action, label, message)


# Staff may list deliveries; every change goes through the services.
register_rule_policy(Delivery, "delivery.manage_delivery", ("view",))


class DeliveryFilterSet(WagtailFilterSet):
    stage = django_filters.ChoiceFilter(label=_("Stage"), choices=DeliveryStage.choices)
    project__call = IdChoiceFilter(label=_("Call"), queryset=CallPage.objects.all())
    open_reports = django_filters.BooleanFilter(
        label=_("Reports awaiting a decision"), method="filter_open_reports"
    )

    class Meta:
        model = Delivery
        fields = ["stage", "project__call", "open_reports"]

    def filter_open_reports(self, queryset, name, value):
        matching = queryset.filter(reports__status__in=["submitted", "resubmitted"])
        if value:
            return queryset.filter(pk__in=matching.values("pk"))
        return queryset.exclude(pk__in=matching.values("pk"))


def _open_link(delivery):
    return format_html(
        '<a href="{}">{}</a>',
        reverse("delivery_admin:detail", args=[delivery.pk]),
        delivery.project,
    )


class DeliveryIndexView(IndexView):
    def get_base_queryset(self):
        return Delivery.objects.select_related("project__organization")


class DeliveryViewSet(ModelViewSet):
    model = Delivery
    index_view_class = DeliveryIndexView
    icon = "clipboard-list"
    menu_label = _("Funded projects")
    menu_order = 230
    add_to_admin_menu = True
    filterset_class = DeliveryFilterSet
    list_display = [
        Column("project", label=_("Project"), accessor=_open_link),
        Column("organization", label=_("Organization"), accessor="project.organization"),
        "stage",
        "agreement_signed_on",
        "updated_at",
    ]
    list_export = [
        "project",
        "project.organization",
        "stage",
        "agreement_signed_on",
        "termination_reason",
        "created_at",
        "updated_at",
    ]
    export_headings = {"project.organization": _("Organization")}
    export_filename = "funded-projects"
    search_fields = ["project__title", "project__organization__name"]
    form_fields = ["agreement_signed_on"]
    copy_view_enabled = False


@hooks.register("register_admin_viewset")
def register_delivery_viewset():
    return DeliveryViewSet("delivery_list")


delivery_urls = [
    path("<id:pk>/", admin_views.DeliveryAdminView.as_view(), name="detail"),
    path("<id:pk>/reports/<id:report_pk>/", admin_views.ReportAdminView.as_view(), name="report"),
    path("<id:pk>/closing/", admin_views.ClosingAdminView.as_view(), name="closing"),
    path("<id:pk>/budget/", admin_views.BudgetAdminView.as_view(), name="budget"),
    path("<id:pk>/schedule/", schedule_admin.ScheduleAdminView.as_view(), name="schedule"),
    path("<id:pk>/payee/", schedule_admin.PayeeAdminView.as_view(), name="payee"),
    path("tranches/", schedule_admin.TrancheListView.as_view(), name="tranches"),
    path(
        "tranches/<id:pk>/record/",
        schedule_admin.RecordTrancheView.as_view(),
        name="tranche_record",
    ),
    path("closeout/", admin_views.CloseoutAdminView.as_view(), name="closeout_index"),
    path("closeout/<id:call_pk>/", admin_views.CloseoutAdminView.as_view(), name="closeout"),
    path("start/", admin_views.StartDeliveryView.as_view(), name="start"),
]


@hooks.register("register_admin_urls")
def register_delivery_urls():
    return [
        path("delivery/", include((delivery_urls, "delivery_admin"), namespace="delivery_admin"))
    ]


class StaffMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("delivery.manage_delivery")


class CloseoutMenuItem(MenuItem):
    def is_shown(self, request):
        from organizations.roles import FINANCE_OFFICER, has_role

        return request.user.has_perm("delivery.manage_delivery") or has_role(
            request.user, FINANCE_OFFICER
        )


@hooks.register("register_admin_menu_item")
def register_closeout_menu_item():
    return CloseoutMenuItem(
        _("Call close-out"),
        reverse("delivery_admin:closeout_index"),
        icon_name="table",
        order=232,
        name="delivery-closeout",
    )


@hooks.register("register_admin_menu_item")
def register_tranches_menu_item():
    return CloseoutMenuItem(
        _("Scheduled tranches"),
        reverse("delivery_admin:tranches"),
        icon_name="date",
        order=233,
        name="delivery-tranches",
    )


@hooks.register("register_admin_menu_item")
def register_start_menu_item():
    return StaffMenuItem(
        _("Start delivery"),
        reverse("delivery_admin:start"),
        icon_name="plus",
        order=231,
        name="delivery-start",
    )
