"""GraphQL over HTTP (graphql.github.io/graphql-over-http): what a request must look like,
which media type an answer takes, and which status a failed one gets.

Strawberry's own parsing lets invalid UTF-8 and deeply nested JSON escape as a 500 and
answers in plain English text; here every refusal is a typed JSON error instead. A NUL
character is refused too, from the body and the URL alike: PostgreSQL text cannot hold
it, so it would otherwise fail deep inside a query.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from graphql import ExecutionResult
from starlette.responses import JSONResponse
from strawberry.http import GraphQLRequestData

from vmeste.platform.errors import ErrorCode
from vmeste.platform.http.accept import weights as accepted
from vmeste.platform.i18n import _

APPLICATION_JSON = "application/json"
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"


class HttpErrorCode(StrEnum):
    """``extensions.code`` of the transport's own refusals (README "HTTP behaviour").

    Kept out of :class:`~vmeste.platform.errors.ErrorCode`, whose members form the schema's
    public ``UserErrorCode`` enum: these never appear in ``userErrors``.
    """

    REQUEST_TOO_LARGE = "REQUEST_TOO_LARGE"
    INVALID_JSON = "INVALID_JSON"
    INVALID_REQUEST = "INVALID_REQUEST"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    UNSUPPORTED_OPERATION = "UNSUPPORTED_OPERATION"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    OVERLOADED = "OVERLOADED"


def json_error(status: int, code: str, message: str, media_type: str = APPLICATION_JSON,
               field: str | None = None, **headers: str) -> JSONResponse:
    """The GraphQL-shaped error body every HTTP route answers with (``field`` names the
    parameter at fault, as a mutation's user error does)."""
    extensions = {"code": code} if field is None else {"code": code, "field": field}
    body = {"errors": [{"message": message, "extensions": extensions}]}
    return JSONResponse(body, status_code=status, headers=headers or None,
                        media_type=media_type)


class RequestRefused(Exception):
    """A request the transport answers itself, before (or instead of) running GraphQL."""

    def __init__(self, status: int, code: HttpErrorCode | ErrorCode, message: str,
                 **headers: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers

    def response(self, media_type: str) -> JSONResponse:
        return json_error(self.status, self.code, self.message, media_type, **self.headers)


def negotiate(accept: str | None) -> str:
    """The answer's media type. ``application/graphql-response+json`` only when the client
    names it and does not prefer ``application/json``; anything else (no header, ``*/*``,
    a type we do not serve) gets ``application/json``, which every client understands."""
    weights = accepted(accept or "")
    wanted = weights.get(GRAPHQL_RESPONSE_JSON, 0.0)
    plain = weights.get(APPLICATION_JSON, weights.get("application/*", weights.get("*/*", 0.0)))
    return GRAPHQL_RESPONSE_JSON if wanted > 0 and wanted >= plain else APPLICATION_JSON


def load_json(data: bytes | str) -> object:
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise RequestRefused(400, HttpErrorCode.INVALID_JSON,
                                 _("The request body is not UTF-8")) from None
    try:
        return json.loads(data)
    except RecursionError:
        raise RequestRefused(400, HttpErrorCode.INVALID_JSON,
                             _("The JSON in the request is nested too deep")) from None
    except json.JSONDecodeError:
        raise RequestRefused(400, HttpErrorCode.INVALID_JSON,
                             _("The request body is not JSON")) from None


def _invalid(message: str) -> RequestRefused:
    return RequestRefused(400, HttpErrorCode.INVALID_REQUEST, message)


def _has_nul(value: object) -> bool:
    """True when a string anywhere in ``value`` (a decoded JSON value: keys too) holds NUL.
    Walked with a stack: how deep variables may nest is the schema's rule (guards)."""
    pending = [value]
    while pending:
        current = pending.pop()
        if isinstance(current, str):
            if "\x00" in current:
                return True
        elif isinstance(current, dict):
            pending.extend(current.keys())
            pending.extend(current.values())
        elif isinstance(current, list):
            pending.extend(current)
    return False


def graphql_request(data: object, raw: bytes | None = None) -> GraphQLRequestData:
    """The parameters of one GraphQL request, each checked for its type (batches are off).
    ``raw``: the JSON ``data`` was decoded from. JSON can carry a NUL only escaped, so a
    body without ``\\u0000`` needs no walk through every string."""
    if (raw is None or b"\\u0000" in raw) and _has_nul(data):
        raise RequestRefused(400, ErrorCode.INVALID, _("The request contains a NUL character"))
    if isinstance(data, list):
        raise _invalid(_("Batched requests (an array of operations) are not supported"))
    if not isinstance(data, dict):
        raise _invalid(_("The request must be a JSON object with a query field"))
    query = data.get("query")
    if not isinstance(query, str) or not query.strip():
        raise _invalid(_("The query field must be a non-empty string holding a GraphQL "
                         "document"))
    operation_name = data.get("operationName")
    if not isinstance(operation_name, str | None):
        raise _invalid(_("The operationName field must be a string"))
    for name in ("variables", "extensions"):
        if not isinstance(data.get(name), dict | None):
            raise _invalid(_("The {name} field must be a JSON object", name=name))
    return GraphQLRequestData(query=query, variables=data.get("variables"),
                              operation_name=operation_name, extensions=data.get("extensions"))


def query_params(params: Mapping[str, str]) -> dict[str, Any]:
    """A GET request's parameters; ``variables`` and ``extensions`` are JSON in the URL."""
    data: dict[str, Any] = dict(params)
    for name in ("variables", "extensions"):
        if data.get(name):
            data[name] = load_json(data[name])
        else:
            data.pop(name, None)
    return data


def is_request_error(result: ExecutionResult) -> bool:
    """Parse, validation and variable-coercion failures carry no path: nothing ran, so the
    spec answers them 4xx with no ``data``. An error with a path came from a field."""
    return result.data is None and bool(result.errors) and all(
        error.path is None for error in result.errors)
