"""Typed, expected failures of domain operations.

Services raise :class:`DomainError`; the GraphQL layer turns it into ``userErrors``
and the CLI into a line with the code. Anything else is a bug and is masked.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from vmeste.platform.i18n import _


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
    RATE_LIMITED = "RATE_LIMITED"
    #: The document itself is wrong: a syntax error, a field or argument the schema
    #: lacks, a depth or alias limit, several operations and no operationName.
    INVALID_QUERY = "INVALID_QUERY"
    #: The operation would cost more than the caller's budget (VMESTE_GRAPHQL_MAX_COST*).
    COST_LIMIT = "COST_LIMIT"
    #: An unexpected failure; the error carries a requestId to quote to the operators.
    INTERNAL = "INTERNAL"
    # Votes and polls (a ballot or a response refused).
    #: The caller's verified profile does not meet the rules (age, residence,
    #: verification, a natural person).
    NOT_ELIGIBLE = "NOT_ELIGIBLE"
    #: One ballot per person per vote: online, assisted or on paper.
    ALREADY_VOTED = "ALREADY_VOTED"
    VOTE_NOT_OPEN = "VOTE_NOT_OPEN"
    TOO_MANY_CHOICES = "TOO_MANY_CHOICES"
    TOO_FEW_CHOICES = "TOO_FEW_CHOICES"
    BUDGET_EXCEEDED = "BUDGET_EXCEEDED"
    BUDGET_SHARE_TOO_LOW = "BUDGET_SHARE_TOO_LOW"
    INVALID_POINTS = "INVALID_POINTS"
    UNKNOWN_OPTION = "UNKNOWN_OPTION"
    POLL_NOT_OPEN = "POLL_NOT_OPEN"
    #: One response per person per poll.
    ALREADY_ANSWERED = "ALREADY_ANSWERED"
    #: An answer that does not fit its question (a choice it lacks, a scale value out of
    #: range, too many or too few choices, a ranking with repeats).
    INVALID_ANSWER = "INVALID_ANSWER"
    # Hearings (a protocol or a conclusion refused; the error's count says how many).
    #: Proposals of the hearing still await moderation: no protocol yet.
    PROPOSALS_PENDING = "PROPOSALS_PENDING"
    #: Proposals the protocol lists have no reasoned recommendation: no conclusion yet.
    RECOMMENDATIONS_MISSING = "RECOMMENDATIONS_MISSING"
    # Attachments (an upload refused, or too many files on one object).
    #: Larger than VMESTE_ATTACHMENT_MAX_BYTES.
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    #: Its content is not of a type taken (VMESTE_ATTACHMENT_TYPES), whatever its name.
    WRONG_FILE_TYPE = "WRONG_FILE_TYPE"
    #: More files than an object may hold, or unattached uploads than a person may keep.
    TOO_MANY_FILES = "TOO_MANY_FILES"
    #: A scanner found malware in it; it was not stored.
    FILE_INFECTED = "FILE_INFECTED"
    #: A scanner is on but could not tell; the file was not stored.
    SCAN_UNAVAILABLE = "SCAN_UNAVAILABLE"
    #: The store of attachments' bytes cannot be reached now; nothing was stored.
    STORAGE_UNAVAILABLE = "STORAGE_UNAVAILABLE"


@dataclass(frozen=True)
class FieldError:
    field: str | None
    message: str
    code: ErrorCode
    #: How many things the error is about (proposals awaiting moderation), when it is
    #: about a number a client may show or act on.
    count: int | None = None


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
        found: dict[str, object] = {"code": first.code.value, "field": first.field}
        if first.count is not None:
            found["count"] = first.count
        return found

    @classmethod
    def of(cls, field: str | None, message: str, code: ErrorCode = ErrorCode.INVALID
           ) -> DomainError:
        return cls(FieldError(field, message, code))


class Forbidden(DomainError):
    def __init__(self, message: str | None = None) -> None:
        super().__init__(FieldError(None, message or _("Not allowed to do this"),
                                    ErrorCode.FORBIDDEN))


class RateLimited(DomainError):
    """A budget is used up; ``retry_after`` seconds from now it has room again."""

    def __init__(self, message: str, retry_after: int, field: str | None = None) -> None:
        super().__init__(FieldError(field, message, ErrorCode.RATE_LIMITED))
        self.retry_after = retry_after

    @property
    def extensions(self) -> dict[str, object]:
        return {**super().extensions, "retryAfter": self.retry_after}


class Unauthenticated(DomainError):
    def __init__(self, message: str | None = None) -> None:
        super().__init__(FieldError(None, message or _("Sign in first"),
                                    ErrorCode.UNAUTHENTICATED))
