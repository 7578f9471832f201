"""The API's health probes: liveness and readiness (the workers have their own, see
:mod:`vmeste.workers.health`)."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from tortoise import connections

from vmeste.platform.db import pending_migrations

log = logging.getLogger("vmeste.app")


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
