"""The base of every domain error.

Services raise subclasses of :class:`DomainError`; each carries a stable ``code`` that
API clients and tests match on, a user-facing ``message`` (translated) and the HTTP
status it maps to. Views and the API exception handler translate them in one place
(``core.api.exception_handler``), so a domain rule never becomes a 500.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code: ClassVar[str] = "domain_error"
    http_status: ClassVar[int] = 422
    default_message: ClassVar[Any] = _("The request could not be processed.")

    def __init__(self, message: Any = None, *, field: str | None = None, **details: Any):
        self.message = message if message is not None else self.default_message
        self.field = field
        self.details = details
        super().__init__(str(self.message))

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"code": self.code, "detail": str(self.message)}
        if self.field:
            data["fields"] = {self.field: [str(self.message)]}
        if self.details:
            data["details"] = {k: _jsonable(v) for k, v in self.details.items()}
        return data


class ConflictError(DomainError):
    code = "conflict"
    http_status = 409
    default_message = _("This conflicts with the current state.")


class NotPermitted(DomainError):
    code = "not_permitted"
    http_status = 403
    default_message = _("You are not allowed to do this.")


def _jsonable(value: Any) -> Any:
    """API clients get dates and times as ISO 8601 (in the site's time zone); pages
    format the same values through ``core.formats``."""
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, dt.datetime):
        return (timezone.localtime(value) if timezone.is_aware(value) else value).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
