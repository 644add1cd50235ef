"""Domain errors raised by funding services; views turn them into words."""

from django.core.exceptions import ValidationError


class FundingError(Exception):
    """Base class for funding domain errors."""


class UnbalancedTransaction(FundingError):
    """The legs of a ledger transaction do not sum to zero."""


class InsufficientFunds(FundingError):
    """An account would go below zero."""


class InvalidTransition(FundingError):
    """The object is not in a state that allows this action."""


class FourEyesViolation(FundingError):
    """The same person tried to record and approve."""


class PaymentProviderError(FundingError):
    """The payment provider could not be reached or refused the request."""


class DisbursementBlocked(FundingError, ValidationError):
    """A registered disbursement guard refused the tranche; the message says why
    (translated), so views show it like any ``ValidationError``."""
