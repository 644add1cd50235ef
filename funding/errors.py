"""Domain errors raised by funding services; views turn them into words."""


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
