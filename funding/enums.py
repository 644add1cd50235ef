from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AccountKind(models.TextChoices):
    """Ledger accounts. A positive balance is money the account holds; external
    sources (sponsors, payment clearing) therefore run negative."""

    SPONSOR = "sponsor", _("Sponsor commitment")
    POOL = "pool", _("Match pool (available)")
    POOL_RESERVED = "pool_reserved", _("Match pool (reserved)")
    CLEARING = "clearing", _("Payment clearing")
    PROJECT = "project", _("Project fund")
    GENERAL = "general", _("General fund")
    DISBURSED = "disbursed", _("Disbursed to project")


class TransactionKind(models.TextChoices):
    POOL_TOP_UP = "pool_top_up", _("Pool top-up")
    POOL_CLOSE = "pool_close", _("Pool closed")
    DONATION = "donation", _("Donation received")
    DONATION_REVERSAL = "donation_reversal", _("Donation refunded or reversed")
    MATCH_RESERVE = "match_reserve", _("Match reserved")
    MATCH_RELEASE = "match_release", _("Match reservation released")
    MATCH_CONFIRM = "match_confirm", _("Match granted")
    MATCH_REVERSAL = "match_reversal", _("Match reversed")
    SETTLEMENT = "settlement", _("Settlement match")
    DISBURSEMENT = "disbursement", _("Disbursement")
    LEFTOVER = "leftover", _("Leftover money moved")
    CORRECTION = "correction", _("Correction")


class SponsorKind(models.TextChoices):
    GOVERNMENT = "government", _("Government")
    FOUNDATION = "foundation", _("Foundation")
    COMPANY = "company", _("Company")
    LOTTERY = "lottery", _("Welfare lottery fund")
    OTHER = "other", _("Other")


class MatchingMode(models.TextChoices):
    LIVE = "live", _("Live (reserved at checkout)")
    SETTLEMENT = "settlement", _("Settlement after the campaign")


class DonationSource(models.TextChoices):
    STRIPE = "stripe", _("Online (Stripe)")
    WECHATPAY = "wechatpay", _("WeChat Pay")
    ALIPAY = "alipay", _("Alipay")
    OFFLINE = "offline", _("Offline")
    IMPORT = "import", _("Platform import")
    TEST = "test", _("Test payment (development only)")


# Gifts paid online through a provider's checkout (velocity limits, live and
# settlement matching treat them alike).
ONLINE_SOURCES = (
    DonationSource.STRIPE,
    DonationSource.WECHATPAY,
    DonationSource.ALIPAY,
    DonationSource.TEST,
)


class DonationStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting payment")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting second approval")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")
    REJECTED = "rejected", _("Rejected")


# Statuses whose money counts in the ledger (refunds are tracked separately).
COUNTED_STATUSES = (DonationStatus.SUCCEEDED,)


class Anonymity(models.TextChoices):
    NONE = "none", _("Show my name and amount")
    HIDE_NAME = "hide_name", _("Hide my name")
    HIDE_AMOUNT = "hide_amount", _("Hide the amount")
    HIDE_BOTH = "hide_both", _("Hide name and amount")


class OfflineMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    CASH = "cash", _("Cash")
    CHEQUE = "cheque", _("Cheque")


class ReservationStatus(models.TextChoices):
    HELD = "held", _("Held")
    CONFIRMED = "confirmed", _("Confirmed")
    RELEASED = "released", _("Released")


class DisputeStatus(models.TextChoices):
    NONE = "", _("None")
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class DisbursementStatus(models.TextChoices):
    RECORDED = "recorded", _("Recorded, awaiting approval")
    APPROVED = "approved", _("Approved and paid")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


class LeftoverDestination(models.TextChoices):
    """Where a project's leftover money (结余资金) goes when it ends."""

    POOL = "pool", _("Returned to a match pool")
    GENERAL = "general", _("Returned to the general fund")
    PROJECT = "project", _("Regranted to another project")


class ImportStatus(models.TextChoices):
    """A platform import counts only after a second finance officer approves it."""

    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting second approval")
    APPROVED = "approved", pgettext_lazy("import", "Approved")
    REJECTED = "rejected", _("Rejected")


class ClawBackKind(models.TextChoices):
    """Why money already paid to a project is owed back after a refund."""

    FUND_SHORTFALL = "fund_shortfall", _("Refund after disbursement")
    SETTLEMENT_OVERPAID = "settlement_overpaid", _("Settlement match overpaid")


class ClawBackStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RECOVERED = "recovered", _("Recovered")
    WRITTEN_OFF = "written_off", _("Written off")


class InboundEventStatus(models.TextChoices):
    """Where a provider notification stored in the inbox stands."""

    PENDING = "pending", _("Waiting to be applied")
    APPLIED = "applied", pgettext_lazy("webhook event", "Applied")
    IGNORED = "ignored", _("Ignored")
    FAILED = "failed", _("Failed (parked)")


class RefundRequestStatus(models.TextChoices):
    """Where a refund finance asked of a payment provider stands."""

    REQUESTED = "requested", _("Asked, no answer yet")
    SUCCEEDED = "succeeded", _("Refunded")
    FAILED = "failed", _("Failed (closed or abnormal)")


class StatementLineStatus(models.TextChoices):
    """A bank statement line's match to an offline pledge."""

    UNMATCHED = "unmatched", _("No pledge found")
    PROPOSED = "proposed", _("Proposed match")
    RECORDED = "recorded", _("Recorded as a gift")
    DISMISSED = "dismissed", _("Not a match")


class ReceiptKind(models.TextChoices):
    SINGLE = "single", _("Single donation")
    ANNUAL = "annual", _("Annual statement")


# Which ledger transactions count towards a project's public figures. Sums of the
# entries on the project's fund account (AccountKind.PROJECT) by transaction kind;
# disbursed is the negated sum. The single definition used by the posting service
# (ProjectBalance), ``reconcile``, the selectors; ``projects.directory`` mirrors it.
RAISED_KINDS = [TransactionKind.DONATION, TransactionKind.DONATION_REVERSAL]
MATCH_KINDS = [
    TransactionKind.MATCH_CONFIRM,
    TransactionKind.MATCH_REVERSAL,
    TransactionKind.SETTLEMENT,
]
DISBURSED_KINDS = [TransactionKind.DISBURSEMENT]
