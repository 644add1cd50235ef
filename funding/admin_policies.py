"""Who may use the funding viewsets of the admin: finance officers.

Every viewset of ``wagtail_hooks`` (lists, CSV/XLSX exports, forms) asks the named
permission ``funding.record_money`` through the shared
:class:`portal.core.admin_policy.RulePolicy`. Rows that only services write (donations,
disbursements, the ledger, claw-backs, payment notifications) are view-only here: their
changes go through the finance views, which check the same permission. Django's model
permissions (which migrations gave the finance group) and ``is_staff`` grant nothing.
"""

from portal.core.admin_policy import register_rule_policy

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

MONEY = "funding.record_money"

for _model in (Sponsor, MatchPool, MatchingRule, SettlementTier):
    register_rule_policy(_model, MONEY)
for _model in (Donation, Disbursement, LedgerTransaction, ClawBack, InboundEvent):
    register_rule_policy(_model, MONEY, ("view",))
