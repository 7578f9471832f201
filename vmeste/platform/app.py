"""The ASGI application: GraphQL, health probes, and the middleware around them."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import ExecutionResult
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.graphql import OperationType
from tortoise import connections
from tortoise.contrib.starlette import RegisterTortoise

from vmeste.platform.db import pending_migrations, tortoise_config
from vmeste.platform.http import graphiql
from vmeste.platform.http.locale import LocaleMiddleware
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
from vmeste.platform.http.shedding import LoadSheddingMiddleware
from vmeste.platform.i18n import _
from vmeste.platform.identity.authenticate import Authenticator, bearer_token
from vmeste.platform.identity.principal import ANONYMOUS
from vmeste.platform.identity.tokens import TokenError
from vmeste.platform.ratelimits.clients import client_key, parse_networks
from vmeste.platform.ratelimits.limiter import Budget, Refusal, RequestLimiter
from vmeste.platform.runtime import Runtime, build_runtime
from vmeste.platform.settings import Settings
from vmeste.platform.websocket_sessions import GuardedTransportWSHandler, WebSocketSessions
from vmeste.schema import build_schema
from vmeste.schema.context import Context

log = logging.getLogger("vmeste.app")


class BodyLimitMiddleware:
    """Reads the request body up to the limit before anything parses it; oversized
    requests get 413."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_big = _json_error(413, HttpErrorCode.REQUEST_TOO_LARGE,
                              _("The request is larger than {limit} bytes", limit=self.max_bytes))
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await too_big(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await too_big(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Any:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class AuthenticationMiddleware:
    """Resolves the bearer token once per HTTP request; a bad token is a 401, never an
    anonymous request, so a client with an expired token learns it at once.

    Each refused token spends the client address's ``auth_failures`` budget; once it is
    used up, requests with a token get 429 before the token is verified, so a flood of
    forged tokens costs neither signature checks nor user look-ups.
    """

    def __init__(self, app: ASGIApp, authenticator: Authenticator,
                 settings: Settings) -> None:
        self.app = app
        self.authenticator = authenticator
        self.limiter = RequestLimiter(settings) if settings.rate_limits else None
        self.trusted = parse_networks(settings.trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = dict(scope.get("headers", [])).get(b"authorization")
        key = f"ip:{client_key(scope, self.trusted)}" if self.limiter is not None else ""
        if header and self.limiter is not None:
            refusal = await self.limiter.exhausted(Budget.AUTH_FAILURES, key)
            if refusal is not None:
                log.info("rate limited: %s budget", refusal.budget.value)
                await too_many_requests(refusal)(scope, receive, send)
                return
        try:
            token = bearer_token(header.decode("latin-1") if header else None)
            principal = await self.authenticator(token)
        except TokenError as error:
            log.info("token refused: %s", error.reason)
            if self.limiter is not None:
                await self.limiter.spend(Budget.AUTH_FAILURES, key)
            response = _json_error(401, "UNAUTHENTICATED", error.message,
                                   **{"WWW-Authenticate": 'Bearer error="invalid_token"'})
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)


def too_many_requests(refusal: Refusal) -> JSONResponse:
    return JSONResponse({"errors": [{"message": refusal.message,
                                     "extensions": refusal.extensions}]},
                        status_code=429, headers={"Retry-After": str(refusal.retry_after)})


class VmesteGraphQL(GraphQL):
    """Strawberry's view with the transport of GraphQL over HTTP made strict: every bad
    request is a typed JSON refusal, GET runs queries only, subscriptions stay on the
    WebSocket, and ``application/graphql-response+json`` gets the spec's status codes."""

    graphql_transport_ws_handler_class = GuardedTransportWSHandler

    def __init__(self, schema: Any, *, runtime: Runtime) -> None:
        settings = runtime.settings
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.dev_mode else None,
            # Safe: a bearer header, not a cookie, authenticates, so a cross-site GET
            # carries no credentials; GET never runs a mutation (execute_single).
            allow_queries_via_get=True,
            allowed_origins=settings.allowed_origins,
            # Only graphql-transport-ws: its handler re-checks the caller while open.
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            max_subscriptions_per_connection=settings.ws_max_subscriptions_per_connection,
        )
        self.runtime = runtime
        self.sessions = WebSocketSessions(settings, runtime.authenticate)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        media_type = request.state.media_type = negotiate(request.headers.get("accept"))
        try:
            if request.method not in ("GET", "POST"):
                raise RequestRefused(405, HttpErrorCode.METHOD_NOT_ALLOWED,
                                     _("GraphQL accepts only GET and POST requests"),
                                     Allow="GET, POST")
            response = await self.run(request)
        except RequestRefused as refusal:
            response = refusal.response(media_type)
        except HTTPException as error:  # one of Strawberry's that no override here replaces
            response = _json_error(error.status_code, HttpErrorCode.INVALID_REQUEST, error.reason,
                                   media_type)
        if response.media_type == APPLICATION_JSON and media_type == GRAPHQL_RESPONSE_JSON:
            # Strawberry always builds application/json; the spec's type and status go on it.
            response.headers["content-type"] = media_type
            if response.status_code == 200 and getattr(request.state, "request_error", False):
                response.status_code = 400
        response.headers.add_vary_header("Accept")  # a cached GET answer depends on it
        await response(scope, receive, send)

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
                       principal=principal)

    async def on_ws_connect(self, context: Context) -> None:
        context.principal = await self.sessions.connect(context)


async def healthz(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    try:
        await connections.get("default").execute_query("SELECT 1")
        pending = await pending_migrations(request.app.state.settings)
    except Exception as error:  # the probe reports, the orchestrator decides
        log.warning("readiness check failed: %s", type(error).__name__)
        return JSONResponse({"status": "unavailable", "reason": "database"}, status_code=503)
    if pending:
        return JSONResponse({"status": "unavailable", "reason": "migrations",
                             "pending": pending}, status_code=503)
    return JSONResponse({"status": "ok"})


def create_app(settings: Settings, *, manage_database: bool = True) -> Starlette:
    """Build the application; ``manage_database=False`` when the caller (tests, the
    demo runner) has already opened the ORM in this context."""
    runtime = build_runtime(settings)
    plugins = runtime.plugins
    graphql = VmesteGraphQL(build_schema(settings), runtime=runtime)
    routes = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/graphql", graphql),  # the view refuses other methods with a typed 405
        WebSocketRoute("/graphql", graphql),
    ]
    if graphql.graphql_ide:
        routes.append(graphiql.assets())
    middleware = [
        Middleware(LocaleMiddleware, default=settings.locale),
        Middleware(BodyLimitMiddleware, max_bytes=settings.max_request_bytes),
        # After the body is read, so a slow upload waits without holding a slot; before
        # authentication, whose token and user look-ups are work to bound too.
        Middleware(LoadSheddingMiddleware, max_inflight=settings.max_inflight,
                   wait_ms=settings.inflight_wait_ms),
        Middleware(AuthenticationMiddleware, authenticator=runtime.authenticate,
                   settings=settings),
    ]
    if settings.allowed_origins:
        middleware.insert(0, Middleware(
            CORSMiddleware, allow_origins=list(settings.allowed_origins),
            allow_methods=["GET", "POST"], allow_headers=["Authorization", "Content-Type"],
        ))

    @asynccontextmanager
    async def background() -> AsyncIterator[None]:
        """The embedded worker and scheduler (``VMESTE_EMBEDDED_WORKERS``)."""
        if not settings.embedded_workers:
            yield
            return
        from vmeste.workers.runner import EmbeddedWorkers

        workers = EmbeddedWorkers(runtime)
        await workers.start()
        try:
            yield
        finally:
            await workers.stop()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if not manage_database:
            async with background():
                yield
            return
        async with RegisterTortoise(app, config=tortoise_config(settings)), background():
            yield

    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.settings = settings
    app.state.plugins = plugins
    app.state.runtime = runtime
    return app


def app_from_environment() -> Starlette:
    """Factory for ``uvicorn --factory``; each worker process builds its own app."""
    from vmeste.platform.settings import load_settings

    return create_app(load_settings())
