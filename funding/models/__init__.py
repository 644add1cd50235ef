from .balances import MatchCapUsage, PoolBalance, ProjectBalance
from .donations import Donation, ImportBatch, ProviderRefund, Receipt
from .inbox import InboundEvent
from .ledger import Account, Entry, LedgerTransaction
from .matching import (
    MatchingRule,
    MatchPool,
    MatchReservation,
    Settlement,
    SettlementLine,
    SettlementTier,
    Sponsor,
)
from .offline import OfflineGivingSettings, OfflinePledge
from .receipts import ReceiptCounter, ReceiptSettings
from .refunds import RefundRequest
from .spending import ClawBack, Disbursement, Expenditure, LeftoverTransfer
from .statements import BankStatement, BankStatementLine

__all__ = [
    "Account",
    "BankStatement",
    "BankStatementLine",
    "ClawBack",
    "Disbursement",
    "Donation",
    "Entry",
    "Expenditure",
    "ImportBatch",
    "InboundEvent",
    "LedgerTransaction",
    "LeftoverTransfer",
    "MatchCapUsage",
    "MatchPool",
    "MatchReservation",
    "MatchingRule",
    "OfflineGivingSettings",
    "OfflinePledge",
    "PoolBalance",
    "ProjectBalance",
    "ProviderRefund",
    "Receipt",
    "ReceiptCounter",
    "ReceiptSettings",
    "RefundRequest",
    "Settlement",
    "SettlementLine",
    "SettlementTier",
    "Sponsor",
]
