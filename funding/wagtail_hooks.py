import django_filters
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.views.generic import IndexView
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import HeaderButton

from portal.core.admin_listing import WithoutEditView

from . import admin_policies, admin_views  # noqa: F401  (admin_policies registers policies)
from .admin_columns import yes_no, yuan
from .enums import DonationSource, DonationStatus, InboundEventStatus
from .models import (
    ClawBack,
    Disbursement,
    Donation,
    InboundEvent,
    LedgerTransaction,
    MatchingRule,
    MatchPool,
    SettlementTier,
    Sponsor,
)

LOG_ACTIONS = [
    ("funding.pool_top_up", _("Top up pool"), _("Pool topped up")),
    ("funding.pool_close", _("Close pool"), _("Pool closed")),
    ("funding.offline_recorded", _("Record offline donation"), _("Offline donation recorded")),
    ("funding.offline_approved", _("Approve offline donation"), _("Offline donation approved")),
    ("funding.offline_rejected", _("Reject offline donation"), _("Offline donation rejected")),
    ("funding.donation_cleared", _("Clear flagged donation"), _("Flagged donation cleared")),
    ("funding.import", _("Import donations"), _("Donations imported")),
    ("funding.import_approved", _("Approve import"), _("Import approved")),
    ("funding.import_rejected", _("Reject import"), _("Import rejected")),
    ("funding.settlement", _("Commit settlement"), _("Settlement committed")),
    ("funding.disbursement_recorded", _("Record disbursement"), _("Disbursement recorded")),
    ("funding.disbursement_approved", _("Approve disbursement"), _("Disbursement approved")),
    ("funding.leftover_recorded", _("Record leftover transfer"), _("Leftover transfer recorded")),
    ("funding.leftover_approved", _("Approve leftover transfer"), _("Leftover money moved")),
    ("funding.leftover_rejected", _("Reject leftover transfer"), _("Leftover transfer rejected")),
    (
        "funding.leftover_cancelled",
        _("Cancel leftover transfer"),
        _("Leftover transfer cancelled"),
    ),
    ("funding.disbursement_rejected", _("Reject disbursement"), _("Disbursement rejected")),
    ("funding.disbursement_cancelled", _("Cancel disbursement"), _("Disbursement cancelled")),
    ("funding.expenditure_recorded", _("Record expenditure"), _("Expenditure recorded")),
    ("funding.receipt_issued", _("Issue receipt"), _("Receipt issued")),
    (
        "funding.official_receipt_recorded",
        _("Record official e-receipt"),
        _("Official e-receipt recorded"),
    ),
    ("funding.review_flagged", _("Flag for finance review"), _("Flagged for finance review")),
    ("funding.review_cleared", _("Mark reviewed"), _("Marked reviewed")),
    (
        "funding.duplicate_payment",
        _("Record second payment"),
        _("Second payment for a paid gift recorded (to refund)"),
    ),
    (
        "funding.refund_requested",
        _("Request refund"),
        _("Refund requested from the payment provider"),
    ),
    (
        "funding.statement_imported",
        _("Import bank statement"),
        _("Bank statement imported"),
    ),
    (
        "funding.statement_matched",
        _("Confirm bank statement match"),
        _("Bank statement line recorded as the pledge's gift"),
    ),
    (
        "funding.refund_succeeded",
        _("Refund confirmed"),
        _("The payment provider confirmed a requested refund"),
    ),
    (
        "funding.refund_failed",
        _("Refund failed"),
        _("A requested refund failed at the payment provider"),
    ),
    (
        "funding.inbox_requeued",
        _("Re-run payment notification"),
        _("Payment notification re-run"),
    ),
]


@hooks.register("register_log_actions")
def register_funding_log_actions(actions):
    for action, label, message in LOG_ACTIONS:
        actions.register_action(action, label, message)


class SponsorViewSet(ModelViewSet):
    model = Sponsor
    icon = "user"
    menu_label = _("Sponsors")
    add_to_admin_menu = False
    list_display = ["name", "kind", yes_no(Sponsor, "is_public")]
    search_fields = ["name"]
    form_fields = ["name", "kind", "contact", "is_public"]
    copy_view_enabled = False


class PoolIndexView(IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("sponsor")

    def get_list_more_buttons(self, instance):
        return [
            MenuItem(
                _("Top up or close"),
                url=reverse("funding_pools:money", args=[instance.pk]),
                icon_name="table",
                priority=5,
            ),
            *super().get_list_more_buttons(instance),
        ]


class MatchPoolViewSet(ModelViewSet):
    model = MatchPool
    icon = "table"
    menu_label = _("Match pools")
    add_to_admin_menu = False
    index_view_class = PoolIndexView
    list_display = [
        "name",
        "sponsor",
        "priority",
        "ratio_num",
        "ratio_den",
        "starts_at",
        "ends_at",
        yes_no(MatchPool, "is_closed"),
    ]
    list_filter = ["is_closed", "sponsor"]
    list_export = [
        "name",
        "sponsor",
        "currency",
        "priority",
        "ratio_num",
        "ratio_den",
        "starts_at",
        "ends_at",
        "is_closed",
    ]
    form_fields = [
        "sponsor",
        "name",
        "currency",
        "priority",
        "ratio_num",
        "ratio_den",
        "starts_at",
        "ends_at",
        "calls",
        "projects",
    ]
    copy_view_enabled = False

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("money/<id:pk>/", admin_views.PoolMoneyView.as_view(), name="money"),
        ]


class MatchingRuleViewSet(ModelViewSet):
    model = MatchingRule
    icon = "cogs"
    menu_label = _("Matching rules")
    add_to_admin_menu = False
    list_display = [
        "call",
        "mode",
        "ratio_num",
        "ratio_den",
        "campaign_starts_at",
        "campaign_ends_at",
    ]
    form_fields = [
        "call",
        "mode",
        "ratio_num",
        "ratio_den",
        "cap_per_donation",
        "cap_per_donor_project",
        "cap_per_project",
        "cap_per_day",
        "min_donation",
        "campaign_starts_at",
        "campaign_ends_at",
        "qualifying_tiers",
        "count_offline",
        "count_imported",
        "regrant_released",
    ]
    copy_view_enabled = False


class SettlementTierIndexView(IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("rule__call")


class SettlementTierViewSet(ModelViewSet):
    """Rank-tiered ratios for settlement matching (e.g. ranks 1–10 at 1:1)."""

    model = SettlementTier
    icon = "order"
    menu_label = _("Settlement rank tiers")
    add_to_admin_menu = False
    index_view_class = SettlementTierIndexView
    list_display = ["rule", "rank_from", "rank_to", "ratio_num", "ratio_den"]
    list_filter = ["rule"]
    form_fields = ["rule", "rank_from", "rank_to", "ratio_num", "ratio_den"]
    copy_view_enabled = False


class DonationFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=DonationStatus.choices)
    source = django_filters.ChoiceFilter(label=_("Source"), choices=DonationSource.choices)
    flagged = django_filters.BooleanFilter(label=_("Flagged"))
    needs_review = django_filters.BooleanFilter(label=_("Needs finance review"))

    class Meta:
        model = Donation
        fields = ["status", "source", "flagged", "needs_review"]


class ReadOnlyIndexView(IndexView):
    """Rows are written by services only: no add, edit or delete links."""

    def get_add_url(self):
        return None

    def get_edit_url(self, instance):
        return None

    def get_delete_url(self, instance):
        return None


class DonationIndexView(ReadOnlyIndexView):
    def get_edit_url(self, instance):
        return reverse("funding_donations:review", args=[instance.pk])

    @property
    def header_buttons(self):
        return [
            HeaderButton(
                _("Record offline donation"),
                url=reverse("funding_donations:offline"),
                icon_name="plus",
            ),
            HeaderButton(
                _("Import donations"), url=reverse("funding_donations:import"), icon_name="upload"
            ),
            HeaderButton(
                _("Bank statements"),
                url=reverse("funding_donations:statements"),
                icon_name="table",
            ),
        ]

    def get_base_queryset(self):
        return super().get_base_queryset().select_related("project", "receipt")

    def get_list_more_buttons(self, instance):
        buttons = []
        if getattr(instance, "receipt", None) is not None:
            buttons.append(
                MenuItem(
                    _("Official e-receipt"),
                    url=reverse("funding_donations:official_receipt", args=[instance.pk]),
                    icon_name="doc-full",
                    priority=7,
                )
            )
        if (
            instance.status == DonationStatus.AWAITING_APPROVAL
            or instance.flagged
            or instance.needs_review
        ):
            buttons.append(
                MenuItem(
                    pgettext_lazy("offline donation", "Review"),
                    url=reverse("funding_donations:review", args=[instance.pk]),
                    icon_name="tick",
                    priority=5,
                )
            )
        if instance.evidence:
            buttons.append(
                MenuItem(
                    pgettext_lazy("payment", "Evidence"),
                    url=reverse("funding_donations:evidence", args=[instance.pk]),
                    icon_name="doc-full",
                    priority=6,
                )
            )
        return buttons


class DonationViewSet(WithoutEditView, ModelViewSet):
    """Donations are created by checkout, the offline form or imports, never edited."""

    model = Donation
    icon = "pick"
    menu_label = _("Donations")
    add_to_admin_menu = False
    index_view_class = DonationIndexView
    list_display = [
        "__str__",
        "project",
        yuan(Donation, "amount"),
        "source",
        "status",
        yes_no(Donation, "flagged"),
        yes_no(Donation, "needs_review"),
        "donor_name",
        "created_at",
    ]
    filterset_class = DonationFilterSet
    search_fields = ["donor_name", "donor_email", "external_id"]
    list_export = [
        "pk",
        "project",
        "amount",
        "currency",
        "source",
        "status",
        "flagged",
        "needs_review",
        "review_reason",
        "refunded_amount",
        "donor_name",
        "donor_email",
        "external_id",
        "import_source",
        "received_at",
        "created_at",
    ]
    export_filename = "donations"
    copy_view_enabled = False
    form_fields = ["message"]

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("offline/", admin_views.RecordOfflineView.as_view(), name="offline"),
            path("review/<id:pk>/", admin_views.ReviewDonationView.as_view(), name="review"),
            path("evidence/<id:pk>/", admin_views.evidence_download, name="evidence"),
            path(
                "official-receipt/<id:pk>/",
                admin_views.OfficialReceiptView.as_view(),
                name="official_receipt",
            ),
            path(
                "official-receipt/<id:pk>/file/",
                admin_views.official_receipt_download,
                name="official_receipt_file",
            ),
            path("import/", admin_views.ImportView.as_view(), name="import"),
            path("statements/", admin_views.BankStatementView.as_view(), name="statements"),
            path(
                "import/<id:pk>/",
                admin_views.ImportBatchView.as_view(),
                name="import_batch",
            ),
        ]


class DisbursementIndexView(ReadOnlyIndexView):
    def get_edit_url(self, instance):
        return reverse("funding_disbursements:approve", args=[instance.pk])

    @property
    def header_buttons(self):
        return [
            HeaderButton(
                _("Record disbursement"),
                url=reverse("funding_disbursements:record"),
                icon_name="plus",
            )
        ]

    def get_base_queryset(self):
        return super().get_base_queryset().select_related("project", "recorded_by")


class DisbursementViewSet(WithoutEditView, ModelViewSet):
    model = Disbursement
    icon = "redirect"
    menu_label = _("Disbursements")
    add_to_admin_menu = False
    index_view_class = DisbursementIndexView
    list_display = [
        "project",
        "tranche",
        yuan(Disbursement, "amount"),
        "status",
        "recorded_by",
        "approved_by",
    ]
    list_filter = ["status"]
    list_export = [
        "project",
        "tranche",
        "amount",
        "currency",
        "milestone",
        "reference",
        "status",
        "recorded_by",
        "approved_by",
        "approved_at",
    ]
    form_fields = ["milestone"]
    copy_view_enabled = False

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("record/", admin_views.RecordDisbursementView.as_view(), name="record"),
            path("approve/<id:pk>/", admin_views.approve_disbursement_view, name="approve"),
        ]


class LedgerViewSet(WithoutEditView, ModelViewSet):
    model = LedgerTransaction
    index_view_class = ReadOnlyIndexView
    icon = "list-ul"
    menu_label = _("Ledger")
    add_to_admin_menu = False
    list_display = ["__str__", "kind", "currency", "donation", "pool", "created_at"]
    list_filter = ["kind"]
    list_export = ["pk", "kind", "idempotency_key", "currency", "donation", "pool", "created_at"]
    form_fields = ["memo"]
    copy_view_enabled = False  # the list would link a "copy" URL that does not exist

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
        ]


class InboundEventFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=InboundEventStatus.choices)
    provider = django_filters.CharFilter(label=_("Provider"))

    class Meta:
        model = InboundEvent
        fields = ["status", "provider"]


class InboundEventIndexView(ReadOnlyIndexView):
    def get_edit_url(self, instance):
        return reverse("funding_inbox:event", args=[instance.pk])


class InboundEventViewSet(WithoutEditView, ModelViewSet):
    """The webhook inbox: every provider notification, its status, failures to re-run."""

    model = InboundEvent
    icon = "mail"
    menu_label = _("Payment notifications")
    add_to_admin_menu = False
    index_view_class = InboundEventIndexView
    list_display = [
        "event_id",
        "provider",
        "event_type",
        "status",
        "attempts",
        "outcome",
        "received_at",
    ]
    filterset_class = InboundEventFilterSet
    search_fields = ["event_id", "event_type", "outcome"]
    list_export = [
        "pk",
        "provider",
        "event_id",
        "event_type",
        "status",
        "attempts",
        "outcome",
        "last_error",
        "received_at",
        "applied_at",
    ]
    export_filename = "payment-notifications"
    form_fields = ["outcome"]
    copy_view_enabled = False

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("event/<id:pk>/", admin_views.InboundEventView.as_view(), name="event"),
        ]


class ClawBackViewSet(WithoutEditView, ModelViewSet):
    """Money owed back after refunds that came after disbursement or settlement
    (written by the refund; read-only here)."""

    model = ClawBack
    index_view_class = ReadOnlyIndexView
    icon = "warning"
    menu_label = _("Claw-backs")
    add_to_admin_menu = False
    list_display = [
        "project",
        "kind",
        yuan(ClawBack, "amount"),
        "status",
        "donation",
        "reason",
        "created_at",
    ]
    list_filter = ["status", "kind"]
    list_export = [
        "pk",
        "project",
        "kind",
        "amount",
        "currency",
        "status",
        "donation",
        "reason",
        "created_at",
    ]
    form_fields = ["status"]
    copy_view_enabled = False

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
        ]


class FundingGroup(ViewSetGroup):
    menu_label = _("Funding")
    menu_icon = "pick"
    menu_order = 500
    items = (
        DonationViewSet("funding_donations"),
        MatchPoolViewSet("funding_pools"),
        SponsorViewSet("funding_sponsors"),
        MatchingRuleViewSet("funding_rules"),
        SettlementTierViewSet("funding_settlement_tiers"),
        DisbursementViewSet("funding_disbursements"),
        LedgerViewSet("funding_ledger"),
        ClawBackViewSet("funding_claw_backs"),
        InboundEventViewSet("funding_inbox"),
    )


@hooks.register("register_admin_viewset")
def register_funding_viewsets():
    return FundingGroup()
