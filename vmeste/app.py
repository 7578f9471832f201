"""The composition root: the ASGI application, built from the platform's runtime, the
GraphQL schema, the plugins' HTTP routes and the embedded workers.

It is the one module that sees every room (``platform``, ``schema``, ``workers``); the
platform itself imports none of them (see docs/architecture.md).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pluggy
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from tortoise.contrib.starlette import RegisterTortoise

from vmeste.platform.db import tortoise_config
from vmeste.platform.http import graphiql
from vmeste.platform.http.edge import Edge
from vmeste.platform.http.probes import healthz, readyz
from vmeste.platform.http.uploads import body_limits
from vmeste.platform.observability import metrics
from vmeste.platform.observability.exposition import (
    CONTENT_TYPE,
    POOL_SAMPLE_SECONDS,
    Sampler,
    database_gauges,
    render,
    sample_pools,
)
from vmeste.platform.observability.processes import process_ended
from vmeste.platform.production import ProcessKind, ProductionRefused, require_production_safe
from vmeste.platform.runtime import build_runtime
from vmeste.platform.settings import Settings
from vmeste.platform.startup import StartupRefused, require_startable
from vmeste.schema import build_schema
from vmeste.schema.view import VmesteGraphQL

log = logging.getLogger("vmeste.app")


def plugin_routes(pm: pluggy.PluginManager, settings: Settings, taken: set[str]
                  ) -> list[BaseRoute]:
    """The plugins' routes (``vmeste_http_routes``); a path the platform or another
    plugin already serves is refused at start, never silently shadowed."""
    routes: list[BaseRoute] = []
    for found in pm.hook.vmeste_http_routes(settings=settings):
        for route in found:
            path = getattr(route, "path", "")
            if path in taken:
                raise RuntimeError(f"a plugin route claims {path!r}, which is already served")
            taken.add(path)
            routes.append(route)
    return routes


async def scrape(request: Request) -> Response:
    """``/metrics``: what this process (or, in multi-process mode, every process of the
    server) recorded. The database's gauges are read now only where this process runs
    the scheduler (the embedded default); beside ``vmeste scheduler`` they are its to
    report, or each of many API pods would count the outbox at every scrape."""
    sample_pools()
    gauges = await database_gauges() if request.app.state.settings.embedded_workers else None
    # Reading every process's files is blocking work: off the event loop that serves.
    body = await asyncio.to_thread(render, metrics.directory(), gauges)
    return Response(body, media_type=CONTENT_TYPE)


@asynccontextmanager
async def pool_sampling(settings: Settings) -> AsyncIterator[None]:
    """In multi-process mode a scrape adds up every process's pool from its last sample:
    each process samples its own every few seconds, and takes it back when it stops."""
    directory = metrics.directory()
    if not settings.metrics or directory is None:
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(Sampler(POOL_SAMPLE_SECONDS, database=False).run(stop))
    try:
        yield
    finally:
        stop.set()
        await task
        process_ended(os.getpid(), directory)


def create_app(settings: Settings, *, manage_database: bool = True,
               server: bool = False) -> Starlette:
    """Build the application; ``manage_database=False`` when the caller (tests, the
    demo runner) has already opened the ORM in this context. ``server``: this process
    serves only this app, so its start-up heap is frozen (see ``settle_heap``)."""
    runtime = build_runtime(settings)
    plugins = runtime.plugins
    graphql = VmesteGraphQL(build_schema(settings, plugins), runtime=runtime)
    endpoint = Route("/graphql", graphql)  # the view refuses other methods with a typed 405
    routes: list[BaseRoute] = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        endpoint,
        WebSocketRoute("/graphql", graphql),
    ]
    if settings.metrics:
        routes.append(Route("/metrics", scrape, methods=["GET"]))
    if graphql.graphql_ide:
        routes.append(graphiql.assets())
    routes += plugin_routes(plugins, settings, {getattr(r, "path", "") for r in routes})
    # The language, the request id, CORS, the body limit, a slot and the caller.
    middleware = [Middleware(Edge, settings=settings, authenticator=runtime.authenticate,
                             direct={endpoint.path: endpoint}, body_limits=body_limits(routes))]

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
        # One process as far as it can tell: `vmeste serve --workers N` has checked the
        # count already; uvicorn's own --workers is out of this process's sight.
        try:
            for warning in require_production_safe(settings, ProcessKind.API):
                log.warning("production: %s", warning)
        except ProductionRefused as refused:
            for problem in refused.problems:
                log.error("cannot start: unsafe in production: %s", problem)
            raise
        try:
            await require_startable(plugins, settings)
        except StartupRefused as refused:
            for problem in refused.problems:
                log.error("cannot start: %s", problem)
            raise
        if not manage_database:
            async with background(), pool_sampling(settings):
                settle_heap(server)
                yield
            return
        async with RegisterTortoise(app, config=tortoise_config(settings)), background(), \
                pool_sampling(settings):
            settle_heap(server)
            yield

    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.settings = settings
    app.state.plugins = plugins
    app.state.runtime = runtime
    app.state.reads = graphql.reads  # the compiled read path's plans and stats
    return app


def app_from_environment() -> Starlette:
    """Factory for ``uvicorn --factory``; each worker process builds its own app, and
    logs and traces through the platform's setup."""
    from vmeste.platform.observability.logs import observe_process
    from vmeste.platform.settings import load_settings

    settings = load_settings()
    observe_process(settings, "api")
    return create_app(settings, server=True)


#: The collector's thresholds in a server process. A request allocates a few thousand
#: objects and frees nearly all of them by reference counting, so Python's default
#: (a young collection every 700 net allocations) collected several times a request
#: under load: about a tenth of the CPU of answering one appeal by id. Cyclic garbage
#: now waits for 50,000 allocations (a few megabytes at most); the older generations
#: keep their default ratios, so what survives still reaches a full collection.
SERVER_GC_THRESHOLDS = (50_000, 10, 10)


def settle_heap(server: bool) -> None:
    """Once a server process has started, everything it built (the schema, the models,
    the plugins: hundreds of thousands of objects) lives as long as it does; frozen, the
    garbage collector's full passes stop walking them under load, which cut the read
    benchmark's p99 latency. Not for a process that builds app after app (tests): a
    frozen cycle is never collected."""
    if server:
        gc.collect()
        gc.freeze()
        gc.set_threshold(*SERVER_GC_THRESHOLDS)
