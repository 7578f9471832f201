"""Every GraphQL error the client sees carries ``extensions.code``; unexpected ones are
masked and carry the request id instead of what went wrong."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import cache, lru_cache
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLSyntaxError
from strawberry.extensions import MaskErrors, ParserCache
from strawberry.extensions.parser_cache import DEFAULT_MAXSIZE
from strawberry.schema.exceptions import CannotGetOperationTypeError
from tortoise.exceptions import ValidationError

from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.i18n import N_, _, translate
from vmeste.schema.errors import UNFIT_VALUE_MESSAGE
from vmeste.schema.nesting import (
    MAX_EXPANDED_SELECTIONS,
    MAX_SELECTION_NESTING,
    Expanded,
    expanded,
)

INTERNAL_MESSAGE = N_("Internal server error")
#: graphql-core's "Did you mean 'x'?" tail: it names fields and enum values, which is
#: what switching introspection off hides.
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")
#: Syntax errors about a character (a lone UTF-16 surrogate, raw or escaped) are bad
#: input values rather than a malformed document.
_BAD_CHARACTER = ("Invalid Unicode escape sequence", "Invalid character")
#: What Strawberry raises for an operation the document does not hold (an unknown
#: ``operationName``): HTTP answers it with 400, a WebSocket subscribe as an error.
_BAD_OPERATION = CannotGetOperationTypeError


def is_unexpected(error: GraphQLError) -> bool:
    """A bug, not a caller's mistake: anything raised that is not one of our typed
    errors. A value the ORM refuses (longer than its column) is the caller's."""
    original = error.original_error
    return original is not None and not isinstance(
        original, DomainError | GraphQLError | ValidationError | _BAD_OPERATION)


def error_code(error: GraphQLError) -> str:
    """The code an error is answered (and logged) with."""
    if is_unexpected(error):
        return ErrorCode.INTERNAL.value
    code = (error.extensions or {}).get("code")
    if isinstance(code, str):
        return code
    if isinstance(error.original_error, _BAD_OPERATION):
        return ErrorCode.INVALID_QUERY.value
    if isinstance(error, GraphQLSyntaxError) and not error.message.startswith(
            tuple(f"Syntax Error: {m}" for m in _BAD_CHARACTER)):
        return ErrorCode.INVALID_QUERY.value
    # Values that do not fit: a variable or argument that cannot be coerced, a value
    # longer than its column.
    return ErrorCode.INVALID.value


def _with(error: GraphQLError, message: str, extensions: dict[str, object]) -> GraphQLError:
    return GraphQLError(message, nodes=error.nodes, source=error.source,
                        positions=error.positions, path=error.path,
                        extensions={**(error.extensions or {}), **extensions})


@cache
def _shape_cache(parse: Callable[..., DocumentNode]) -> Callable[..., Expanded]:
    """``expanded()`` of a document, once per query text and parse options, bounded like
    the parse cache it reads (a repeated query pays neither the parse nor the walk)."""

    @lru_cache(maxsize=DEFAULT_MAXSIZE)
    def shape(query: str, options: tuple[tuple[str, Any], ...]) -> Expanded:
        return expanded(parse(query, **dict(options)))

    return shape


class VmesteParserCache(ParserCache):
    """ParserCache that lets a syntax error through unanswered.

    ParserCache parses inside its hook, where a syntax error escapes the operation
    (and so VmesteMaskErrors) and reaches the client without a code. Leaving the
    document unset makes Strawberry parse again inside its own error handling, which
    answers the error like any other; only a failing document is parsed twice.
    """

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        try:
            document = self.cached_parse_document(context.query, **context.parse_options)
        except GraphQLError:
            yield  # parsed again, and answered, by Strawberry
            return
        shape = _shape_cache(self.cached_parse_document)(
            context.query, tuple(sorted(context.parse_options.items())))
        # Before validation, whose rules follow every spread: its depth rule would
        # overflow on a deep chain, and take exponential time on a doubling one. Raised
        # here, the error is answered as it is, so it carries its code.
        if shape.depth > MAX_SELECTION_NESTING:
            raise GraphQLError(
                _("The query is nested deeper than {limit} levels (with fragments)",
                  limit=MAX_SELECTION_NESTING),
                extensions={"code": ErrorCode.INVALID_QUERY.value})
        if shape.selections > MAX_EXPANDED_SELECTIONS:
            raise GraphQLError(
                _("The query with its fragments expands to more than {limit} fields",
                  limit=MAX_EXPANDED_SELECTIONS),
                extensions={"code": ErrorCode.INVALID_QUERY.value})
        context.graphql_document = document
        yield


class VmesteMaskErrors(MaskErrors):
    """Masks unexpected errors (with the request id a user can quote), codes every
    other one, and drops suggestions when introspection is off.

    Validation errors get ``INVALID_QUERY`` in ``on_validate``: it runs after
    ValidationCache has put its (cached, shared) errors on the context, and copies
    them rather than changing the cached ones.
    """

    def __init__(self, *, hide_suggestions: bool) -> None:
        super().__init__(error_message=INTERNAL_MESSAGE)
        self.hide_suggestions = hide_suggestions

    def on_validate(self) -> Iterator[None]:
        errors = self.execution_context.pre_execution_errors
        if errors:
            self.execution_context.pre_execution_errors = [
                error if (error.extensions or {}).get("code") else
                _with(error, error.message, {"code": ErrorCode.INVALID_QUERY.value})
                for error in errors]
        yield

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        return [self._answer(error) for error in errors]

    def _answer(self, error: GraphQLError) -> GraphQLError:
        code = error_code(error)
        if code == ErrorCode.INTERNAL.value:
            context = self.execution_context.context
            return GraphQLError(translate(self.error_message), nodes=error.nodes,
                                source=error.source,
                                positions=error.positions, path=error.path,
                                extensions={"code": code,
                                            "requestId": getattr(context, "request_id", None)})
        message = error.message
        if isinstance(error.original_error, ValidationError):
            message = translate(UNFIT_VALUE_MESSAGE)
        elif self.hide_suggestions:
            message = _SUGGESTION.sub("", message)
        if message == error.message and (error.extensions or {}).get("code") == code:
            return error
        return _with(error, message, {"code": code})
