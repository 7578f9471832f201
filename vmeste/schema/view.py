"""GraphQL over HTTP and the WebSocket: Strawberry's Starlette view made strict, and
the per-request context it hands the resolvers."""

from __future__ import annotations

from functools import lru_cache
from time import perf_counter
from typing import Any

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import ExecutionResult
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.graphql import OperationType

from vmeste.platform.http import graphiql
from vmeste.platform.http.edge import BODY, HEADERS
from vmeste.platform.http.protocol import (
    APPLICATION_JSON,
    GRAPHQL_RESPONSE_JSON,
    HttpErrorCode,
    RequestRefused,
    graphql_request,
    is_request_error,
    load_json,
    negotiate,
    query_params,
)
from vmeste.platform.http.protocol import json_error as _json_error
from vmeste.platform.http.request_id import name_operation
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import ANONYMOUS
from vmeste.platform.observability.metrics import (
    INTERPRETED,
    OTHER,
    UNKNOWN,
    graphql_error,
    observe_request,
)
from vmeste.platform.runtime import Runtime
from vmeste.platform.websocket_sessions import GuardedTransportWSHandler, WebSocketSessions
from vmeste.schema import VmesteSchema
from vmeste.schema.compiled.reads import ANSWERED, CompiledReads
from vmeste.schema.context import Context
from vmeste.schema.error_log import safe_name
from vmeste.schema.loaders import Loaders

#: The labels of a request refused before any operation was known.
_UNANSWERED = (None, UNKNOWN, INTERPRETED)


class VmesteGraphQL(GraphQL):
    """Strawberry's view with the transport of GraphQL over HTTP made strict: every bad
    request is a typed JSON refusal, GET runs queries only, subscriptions stay on the
    WebSocket, and ``application/graphql-response+json`` gets the spec's status codes."""

    graphql_transport_ws_handler_class = GuardedTransportWSHandler

    def __init__(self, schema: VmesteSchema, *, runtime: Runtime) -> None:
        settings = runtime.settings
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql else None,
            # Safe: a bearer header, not a cookie, authenticates, so a cross-site GET
            # carries no credentials; GET never runs a mutation (execute_single).
            allow_queries_via_get=True,
            allowed_origins=settings.allowed_origins,
            # Only graphql-transport-ws: its handler re-checks the caller while open.
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            max_subscriptions_per_connection=settings.ws_max_subscriptions_per_connection,
        )
        self.runtime = runtime
        self.loaders = schema.loaders
        self.sessions = WebSocketSessions(settings, runtime.authenticate)
        self.reads = CompiledReads(schema, runtime)

    async def compiled(self, request: Request, body: bytes | None, media_type: str
                       ) -> bytes | None:
        """The answer of a compiled read plan (a POST's JSON ``body`` read already), or
        None for Strawberry to answer (which then refuses whatever malformed request
        this passes over)."""
        try:
            if body is not None:
                data = graphql_request(load_json(body), raw=body)
            elif request.method == "GET":
                data = graphql_request(query_params(request.query_params))
            else:
                return None
        except RequestRefused:
            return None
        if (name := safe_name(data.operation_name)) != "-":  # for the access line, the span
            name_operation(request.scope, name)
        return await self.reads.answer(request, data)

    def encode_json(self, data: object) -> str:
        """orjson: several times faster than ``json.dumps``, and Cyrillic stays UTF-8
        rather than ``\\u`` escapes (a third of the bytes). Text, not bytes: the
        WebSocket sends what this returns, and a client expects text frames."""
        return orjson.dumps(data).decode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        started = perf_counter()
        headers = scope.get(HEADERS) or dict(scope["headers"])
        accept = headers.get(b"accept")
        media_type = _media_type(accept.decode("latin-1") if accept else None)
        # The body the edge read: a compiled answer needs neither Starlette's request
        # stream nor its response object (the hot read path).
        body = scope.get(BODY) if scope["method"] == "POST" and \
            _is_json(headers.get(b"content-type")) else None
        request = Request(scope, receive)
        request.state.media_type = media_type
        try:
            if request.method not in ("GET", "POST"):
                raise RequestRefused(405, HttpErrorCode.METHOD_NOT_ALLOWED,
                                     _("GraphQL accepts only GET and POST requests"),
                                     Allow="GET, POST")
            answer = await self.compiled(request, body, media_type)
            if answer is not None:
                await _send_answer(send, answer, media_type)
                observe_request(*scope["state"][ANSWERED], perf_counter() - started)
                return
            response = await self.run(request)
        except RequestRefused as refusal:
            graphql_error(refusal.code)
            response = refusal.response(media_type)
        except HTTPException as error:  # one of Strawberry's that no override here replaces
            graphql_error(HttpErrorCode.INVALID_REQUEST)
            response = _json_error(error.status_code, HttpErrorCode.INVALID_REQUEST, error.reason,
                                   media_type)
        if response.media_type == APPLICATION_JSON and media_type == GRAPHQL_RESPONSE_JSON:
            # Strawberry always builds application/json; the spec's type and status go on it.
            response.headers["content-type"] = media_type
            if response.status_code == 200 and getattr(request.state, "request_error", False):
                response.status_code = 400
        response.headers.add_vary_header("Accept")  # a cached GET answer depends on it
        await response(scope, receive, send)
        observe_request(*scope["state"].get(ANSWERED, _UNANSWERED), perf_counter() - started)

    @property
    def graphql_ide_html(self) -> str:
        return graphiql.page()

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        # With the IDE off, a bare GET is a request without a query, not a 404.
        return self.graphql_ide is not None and super().should_render_graphql_ide(request)

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> GraphQLRequestData:
        if request.method == "GET":
            return graphql_request(query_params(request.query_params))
        content_type, _params = parse_content_type(request.content_type or "")
        if content_type != "application/json":
            raise RequestRefused(415, HttpErrorCode.UNSUPPORTED_MEDIA_TYPE,
                                 _("The request body must be application/json"))
        return graphql_request(load_json(await request.get_body()))

    async def execute_single(
        self, request: Request, request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response, context: Context, root_value: Any,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        allowed = {OperationType.QUERY}
        if request_adapter.method == "POST":
            allowed.add(OperationType.MUTATION)
        try:
            return await self.schema.execute(
                request_data.query, root_value=root_value,
                variable_values=request_data.variables, context_value=context,
                operation_name=request_data.operation_name, allowed_operation_types=allowed,
                operation_extensions=request_data.extensions)
        except CannotGetOperationTypeError:
            raise RequestRefused(400, HttpErrorCode.INVALID_REQUEST,
                                 _("No operation to run was found: check operationName")
                                 ) from None
        except InvalidOperationTypeError as error:
            if error.operation_type is OperationType.SUBSCRIPTION:
                raise RequestRefused(400, HttpErrorCode.UNSUPPORTED_OPERATION,
                                     _("Subscriptions work only over a WebSocket "
                                       "(the graphql-transport-ws protocol)")) from None
            raise RequestRefused(405, HttpErrorCode.METHOD_NOT_ALLOWED,
                                 _("Mutations run only in a POST request"),
                                 Allow="POST") from None
        finally:
            request.scope["state"][ANSWERED] = _interpreted(context, request_data.operation_name)

    async def process_result(self, request: Request, result: ExecutionResult
                             ) -> GraphQLHTTPResponse:
        body = await super().process_result(request, result)
        if request.state.media_type == GRAPHQL_RESPONSE_JSON and is_request_error(result):
            request.state.request_error = True
            body.pop("data", None)
        return body

    async def get_context(self, request: Any, response: Any) -> Context:
        principal = request.scope.get("state", {}).get("principal", ANONYMOUS)
        return Context(request=request, response=response, runtime=self.runtime,
                       principal=principal, loaders=Loaders(self.loaders))

    async def on_ws_connect(self, context: Context) -> None:
        context.principal = await self.sessions.connect(context)


def _interpreted(context: Context, operation_name: str | None
                 ) -> tuple[str | None, str, str]:
    """The labels of a request the resolvers answered: the operation Strawberry chose,
    as far as it got."""
    execution = context.execution
    if execution is not None and execution.graphql_document is not None:
        try:
            return execution.operation_name, execution.operation_type.value, INTERPRETED
        except RuntimeError:  # no such operation in the document
            pass
    # A name no parsed document defines is only what the client typed: counted as
    # ``other``, so junk requests cannot take the label slots.
    return OTHER if operation_name else None, UNKNOWN, INTERPRETED


@lru_cache(maxsize=256)
def _media_type(accept: str | None) -> str:
    """``negotiate`` remembered: clients send the same few ``Accept`` headers."""
    return negotiate(accept)


def _is_json(content_type: bytes | None) -> bool:
    return content_type is not None and \
        content_type.partition(b";")[0].strip().lower() == APPLICATION_JSON.encode()


async def _send_answer(send: Send, body: bytes, media_type: str) -> None:
    """A compiled plan's 200, as the response Strawberry's path builds would go out."""
    await send({"type": "http.response.start", "status": 200, "headers": [
        (b"content-length", str(len(body)).encode("latin-1")),
        (b"content-type", media_type.encode("latin-1")),
        (b"vary", b"Accept")]})
    await send({"type": "http.response.body", "body": body})
