"""Errors as values: a stable code for machines, a Russian message for people.

Every error the API returns is one of these, serialised as
``{"code", "message", "details"}`` with its HTTP status.
"""

from __future__ import annotations

from typing import Any


class ErpError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None,
                 status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.details = details if details is not None else {}

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}


class ValidationError(ErpError):
    """Bad input; ``details`` maps field names to messages."""

    status = 422
    code = "validation_error"

    @classmethod
    def field(cls, field: str, message: str, code: str = "validation_error") -> ValidationError:
        return cls(f"{field}: {message}", code=code, details={"fields": {field: message}})

    @classmethod
    def fields(cls, problems: dict[str, str]) -> ValidationError:
        """One error naming every bad field: "Неверные данные — поле: что не так; …"."""
        summary = "; ".join(f"{k}: {v}" for k, v in problems.items())
        return cls(f"Неверные данные — {summary}", details={"fields": dict(problems)})


class NotFound(ErpError):
    status = 404
    code = "not_found"


class Conflict(ErpError):
    status = 409
    code = "conflict"


class Unauthorized(ErpError):
    status = 401
    code = "unauthorized"


class Forbidden(ErpError):
    status = 403
    code = "forbidden"


class TooManyRequests(ErpError):
    status = 429
    code = "too_many_requests"


class DatabaseUnavailable(ErpError):
    status = 503
    code = "database_unavailable"
