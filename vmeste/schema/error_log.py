"""How GraphQL errors reach the log: without the document, the variables or any value.

Strawberry's default logs every error at ERROR with the query text under it and a
traceback, so a mistyped field or a wrong cursor fills the log with what citizens typed.
Here an expected error (validation, a bad value, a refused limit, a DomainError) is one
INFO line: its code, the operation's type and name and the field path. An unexpected one
is an ERROR with the request id (the one the client got in ``extensions.requestId``),
the exception's type and its traceback frames. Never its message: an exception from a
driver or a library quotes the values it choked on (a duplicate key, an undecodable
string), and those are a citizen's phone number or passport.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from strawberry.types import ExecutionContext

from vmeste.platform.errors import ErrorCode
from vmeste.platform.observability.logs import traceback_without_messages
from vmeste.schema.masking import error_code

log = logging.getLogger("vmeste.graphql")
_MAX_NAME = 64
#: A GraphQL name. The operation name is the client's text, and an unknown one (or any
#: sent with a document that does not parse) need not be a name at all: a newline
#: and a phone number would forge a log line.
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")


def safe_name(name: str | None) -> str:
    """``name`` when it is a GraphQL name of at most 64 characters, else ``-``."""
    if name is None or len(name) > _MAX_NAME or not _NAME.fullmatch(name):
        return "-"
    return name


def _operation(execution_context: ExecutionContext | None) -> tuple[str, str]:
    if execution_context is None or execution_context.graphql_document is None:
        return "unparsed", "-"
    try:
        kind = execution_context.operation_type.value
    except RuntimeError:  # an unknown operation name: the error says so already
        kind = "unknown"
    return kind, safe_name(execution_context.operation_name)


def _path(error: GraphQLError, document: DocumentNode | None) -> str:
    """The field path with schema field names: a response key is the client's alias,
    and an alias may be anything a name can hold (``a79123456789: me``)."""
    if not error.path:
        return "-"
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)} if document else {}
    operations = [d for d in document.definitions
                  if isinstance(d, OperationDefinitionNode)] if document else []
    level = [operation.selection_set for operation in operations]
    parts = []
    for part in error.path:
        if isinstance(part, int):
            parts.append(str(part))
            continue
        field = _field(level, part, fragments)
        parts.append(field.name.value if field else "?")
        level = [field.selection_set] if field and field.selection_set else []
    return ".".join(parts)


def _field(sets: list[SelectionSetNode], key: str, fragments: dict[str, Any]
           ) -> FieldNode | None:
    """The field answering under ``key`` in these selection sets, fragments expanded."""
    pending, seen = list(sets), set()
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                if (selection.alias or selection.name).value == key:
                    return selection
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode) and (
                    selection.name.value in fragments and selection.name.value not in seen):
                seen.add(selection.name.value)
                pending.append(fragments[selection.name.value].selection_set)
    return None


def log_errors(errors: list[GraphQLError], execution_context: ExecutionContext | None
               ) -> None:
    context: Any = execution_context.context if execution_context is not None else None
    request_id = getattr(context, "request_id", "-")
    kind, name = _operation(execution_context)
    document = execution_context.graphql_document if execution_context else None
    for error in errors:
        code = error_code(error)
        if code != ErrorCode.INTERNAL.value:
            log.info("graphql %s %s refused: %s at %s (request %s)", kind, name, code,
                     _path(error, document), request_id)
            continue
        original = error.original_error
        assert original is not None  # INTERNAL means an unexpected exception
        log.error("graphql %s %s failed at %s (request %s):\n%s", kind, name,
                  _path(error, document), request_id, traceback_without_messages(original))
