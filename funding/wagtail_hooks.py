from django.utils.translation import gettext_lazy as _
from wagtail import hooks

LOG_ACTIONS = [
    ("funding.pool_top_up", _("Top up pool"), _("Pool topped up")),
    ("funding.pool_close", _("Close pool"), _("Pool closed")),
    ("funding.offline_recorded", _("Record offline donation"), _("Offline donation recorded")),
    ("funding.offline_approved", _("Approve offline donation"), _("Offline donation approved")),
    ("funding.offline_rejected", _("Reject offline donation"), _("Offline donation rejected")),
    ("funding.donation_cleared", _("Clear flagged donation"), _("Flagged donation cleared")),
    ("funding.import", _("Import donations"), _("Donations imported")),
    ("funding.settlement", _("Commit settlement"), _("Settlement committed")),
    ("funding.disbursement_recorded", _("Record disbursement"), _("Disbursement recorded")),
    ("funding.disbursement_approved", _("Approve disbursement"), _("Disbursement approved")),
    ("funding.expenditure_recorded", _("Record expenditure"), _("Expenditure recorded")),
    ("funding.receipt_issued", _("Issue receipt"), _("Receipt issued")),
]


@hooks.register("register_log_actions")
def register_funding_log_actions(actions):
    for action, label, message in LOG_ACTIONS:
        actions.register_action(action, label, message)
