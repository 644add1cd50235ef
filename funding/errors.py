"""Domain errors raised by funding services.

Every one is a :class:`portal.core.errors.DomainError` with a translated sentence a
person can act on, so views show it with ``portal.core.errors.show_error`` like any
other service error. The English text passed when raising (``detail``) says what the
code saw, for logs and tests; people read the class's ``message``. A role that is
missing is ``PermissionDenied``, never one of these.
"""

from django.utils.translation import gettext_lazy as _

from portal.core.errors import DomainError
from portal.core.transitions import InvalidTransition as CoreInvalidTransition


class FundingError(DomainError):
    """Base class for funding domain errors."""

    message = _("The action could not be completed.")

    def __init__(
        self, detail: str = "", *, message=None, field: str | None = None, code: str | None = None
    ):
        super().__init__(message or self.message, field=field, code=code or type(self).__name__)
        self.detail = detail

    def __str__(self) -> str:
        return self.detail or str(self.messages[0])


class UnbalancedTransaction(FundingError):
    """The legs of a ledger transaction do not sum to zero."""

    message = _("The ledger transaction does not balance.")


class InsufficientFunds(FundingError):
    """An account would go below zero."""

    message = _("The project fund holds less than this amount.")


class InvalidTransition(FundingError, CoreInvalidTransition):
    """The object is not in a state that allows this action."""

    message = _("This item is not in a state that allows that action.")


class FourEyesViolation(FundingError):
    """The same person tried to record and approve."""

    message = _("A different finance officer must approve this.")


class PaymentProviderError(FundingError):
    """The payment provider could not be reached or refused the request."""

    message = _("The payment provider could not be reached. Please try again later.")


class ProviderRefused(PaymentProviderError):
    """The provider answered and refused the request (nothing was done there), as
    opposed to an answer that never came (the request may or may not have been done)."""

    message = _("The payment provider refused the request; nothing was done there.")

    def __init__(
        self,
        detail: str = "",
        *,
        provider_code: str = "",
        provider_message: str = "",
        message=None,
    ):
        super().__init__(detail, message=message)
        self.provider_code = provider_code[:40]
        self.provider_message = provider_message[:300]


class DisbursementBlocked(FundingError):
    """A registered disbursement guard refused the tranche; the message says why
    (translated)."""

    def __init__(self, message="", **kwargs):
        super().__init__("", message=message or None, **kwargs)


class DuplicateReference(FundingError):
    """A provider/bank/transfer reference that is already recorded (the message names
    what it was used for)."""

    message = _("This reference is already recorded.")


class SpendingExceedsDisbursed(FundingError):
    """An expenditure would take spending above what was disbursed to the project."""

    message = _("A project can only spend what was disbursed to it.")


class ProjectClosedToMoney(FundingError):
    """A gift, match or tranche for a project that is closed, terminated or whose
    agreement is not signed (the message names the project and why)."""

    message = _("This project does not accept money now.")


class PoolOverdrawn(FundingError):
    """A posting would take a match pool's available, reserved or granted balance
    below zero (the conditional balance update matched no row)."""

    message = _("The match pool holds less than this amount. Nothing was recorded.")
