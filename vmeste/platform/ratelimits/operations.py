"""Whether a GraphQL request body reads or writes, before the schema runs it.

Mutations have their own, smaller budget, so the operation type must be known here,
ahead of Strawberry. The document is parsed with graphql-core under the same token
limit as the schema (``VMESTE_MAX_QUERY_TOKENS``), so parsing stays bounded; a body
that does not parse costs one read and is refused by the schema afterwards.
"""

from __future__ import annotations

import json
from enum import StrEnum
from functools import lru_cache
from typing import Any

from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse


class Operation(StrEnum):
    READ = "read"
    MUTATION = "mutation"


def _kind(request: Any, max_tokens: int) -> Operation:
    if not isinstance(request, dict) or not isinstance(request.get("query"), str):
        return Operation.READ
    name = request.get("operationName")
    return _document_kind(request["query"], name if isinstance(name, str) else None,
                          max_tokens)


@lru_cache(maxsize=128)
def _document_kind(query: str, name: str | None, max_tokens: int) -> Operation:
    """Clients send the same few documents over and over: remember their kind (as many
    entries as Strawberry's own parser cache holds)."""
    try:
        document = parse(query, no_location=True, max_tokens=max_tokens)
    except GraphQLError:
        return Operation.READ
    operations = [node for node in document.definitions
                  if isinstance(node, OperationDefinitionNode)]
    chosen = [node for node in operations if node.name and node.name.value == name]
    # Without a matching name, any mutation in the document counts: never cheaper.
    candidates = chosen or operations
    if any(node.operation == OperationType.MUTATION for node in candidates):
        return Operation.MUTATION
    return Operation.READ


def classify(body: bytes, max_tokens: int) -> tuple[Operation, int]:
    """The budget a body spends and how many operations it holds (a batch is a list)."""
    try:
        payload = json.loads(body)
    except ValueError:
        # application/graphql: the body is the document itself.
        payload = {"query": body.decode("utf-8", errors="replace")}
    requests = payload if isinstance(payload, list) else [payload]
    kinds = [_kind(request, max_tokens) for request in requests]
    kind = Operation.MUTATION if Operation.MUTATION in kinds else Operation.READ
    return kind, max(1, len(requests))
