"""Typed, expected failures of domain operations.

Services raise :class:`DomainError`; the GraphQL layer turns it into ``userErrors``
and the CLI into a line with the code. Anything else is a bug and is masked.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    DUPLICATE = "DUPLICATE"
    FORBIDDEN = "FORBIDDEN"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    CONFLICT = "CONFLICT"
    UNKNOWN_PLUGIN = "UNKNOWN_PLUGIN"
    ILLEGAL_TRANSITION = "ILLEGAL_TRANSITION"
    UNVERIFIED = "UNVERIFIED"


@dataclass(frozen=True)
class FieldError:
    field: str | None
    message: str
    code: ErrorCode


class DomainError(Exception):
    """One or more expected problems with a request, each tied to an input field."""

    def __init__(self, *errors: FieldError) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors

    @property
    def extensions(self) -> dict[str, object]:
        """graphql-core copies this onto the error it reports, so a client that calls a
        query (queries have no ``userErrors``) still gets a machine-readable code."""
        first = self.errors[0]
        return {"code": first.code.value, "field": first.field}

    @classmethod
    def of(cls, field: str | None, message: str, code: ErrorCode = ErrorCode.INVALID
           ) -> DomainError:
        return cls(FieldError(field, message, code))


class Forbidden(DomainError):
    def __init__(self, message: str = "Недостаточно прав для этой операции") -> None:
        super().__init__(FieldError(None, message, ErrorCode.FORBIDDEN))


class Unauthenticated(DomainError):
    def __init__(self, message: str = "Требуется вход в систему") -> None:
        super().__init__(FieldError(None, message, ErrorCode.UNAUTHENTICATED))
