"""One domain-error type for every service, and one helper that shows it to people.

Services raise :class:`DomainError` (or a subclass) for a rule a person can act on, with
a translated message and, when the rule is about one input, the form field it belongs to;
they raise ``django.core.exceptions.PermissionDenied`` for permissions. Views never pick
messages by exception type: they call :func:`show_error`, which puts the message on the
form (next to the field when there is one) or in Django's messages framework.

``DomainError`` subclasses ``ValidationError`` so that code calling ``full_clean`` and
Django's form machinery treat it like any validation error.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError


class DomainError(ValidationError):
    """A business rule refused the action.

    ``message`` is a translated string (or lazy string, or a list of them); ``field``
    names the form field the rule is about, if any; ``code`` is a stable identifier for
    tests and logs.
    """

    def __init__(self, message, *, field: str | None = None, code: str | None = None, params=None):
        super().__init__(message, code=code, params=params)
        self.field = field


def show_error(exc: ValidationError, *, form=None, request=None) -> None:
    """Put ``exc``'s messages where the person will read them.

    On ``form`` (at ``exc.field`` when the form has that field, else as a non-field
    error) when a form is given, otherwise as error messages on ``request``. Accepts any
    ``ValidationError`` (a ``DomainError`` or a model's ``full_clean`` error dict).
    """
    if form is not None:
        field = getattr(exc, "field", None)
        if hasattr(exc, "error_dict"):
            for name, errors in exc.error_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            form.add_error(field if field in form.fields else None, exc.messages)
        return
    if request is None:
        raise ValueError("show_error needs a form or a request")
    for message in exc.messages:
        messages.error(request, message)
