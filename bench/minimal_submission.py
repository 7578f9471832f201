"""The baseline for bench/submission.py: the same rows inserted by hand-written SQL
behind a bare Starlette endpoint, with no auth, validation, moderation or routing:
the appeal with its deadline columns (a bare ``now() + 14 days`` instead of a calendar),
its three events, and the outbox message announcing them."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

INSERT_APPEAL = """INSERT INTO appeal (applicant_id, applicant_type, channel, category_id,
  territory_id, territory_path, address, text, legal_track, status, organization_id,
  idempotency_key, routing_trace, rework_count, revision, created_at, updated_at,
  registered_at, deadline_policy, due_at, calendar_version, reminders_sent)
VALUES ($1, 'person', 'portal', $2, $3, $4, '', $5, 'message', 'routed', $6, $7, '[]', 0, 0,
  now(), now(), now(), 'working-days:10', now() + interval '14 days', 'bench', '[]')
RETURNING id"""
INSERT_EVENTS = """INSERT INTO appeal_event (appeal_id, at, actor, action, from_status,
  to_status, reason, payload) VALUES
  ($1, now(), 'bench', 'submit', NULL, 'moderation', '', '{}'),
  ($1, now(), 'bench', 'moderate', 'moderation', 'moderation', '', '{}'),
  ($1, now(), 'bench', 'route', 'moderation', 'routed', '', '{}') RETURNING id"""
INSERT_OUTBOX = """INSERT INTO outbox_message (topic, dedupe_key, payload, created_at,
  relay_attempts, last_error) VALUES ('appeal.events', $1, $2, now(), 0, '')
  ON CONFLICT (dedupe_key) DO NOTHING"""


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    url = os.environ["BENCH_DATABASE_URL"].replace("postgres://", "postgresql://", 1)
    app.state.pool = await asyncpg.create_pool(url, min_size=4, max_size=20)
    async with app.state.pool.acquire() as conn:
        app.state.ids = await conn.fetchrow(
            # A user of its own: its appeals must not spend a bench citizen's quota.
            "SELECT (SELECT id FROM vmeste_user WHERE subject = 'bench-baseline') AS user_id, "
            "(SELECT id FROM category WHERE code = 'roads.potholes') AS category_id, "
            "(SELECT id FROM organization LIMIT 1) AS organization_id")
        app.state.territories = dict(await conn.fetch(
            "SELECT code, ARRAY[id::text, path] FROM territory"))
    yield
    await app.state.pool.close()


async def submit(request: Request) -> Response:
    body = json.loads(await request.body())
    data = body["variables"]["input"]
    ids = request.app.state.ids
    territory_id, path = request.app.state.territories[data["territoryCode"]]
    async with request.app.state.pool.acquire() as conn, conn.transaction():
        appeal_id = await conn.fetchval(
            INSERT_APPEAL, ids["user_id"], ids["category_id"], int(territory_id), path,
            data["text"], ids["organization_id"], data["idempotencyKey"] + "-baseline")
        event_ids = [row["id"] for row in await conn.fetch(INSERT_EVENTS, appeal_id)]
        await conn.execute(INSERT_OUTBOX, f"appeal:{appeal_id}:submit", json.dumps(
            {"appeal_id": appeal_id, "event_ids": event_ids}))
    return JSONResponse({"data": {"submitAppeal": {"appeal": {"id": appeal_id,
                                                              "status": "ROUTED"},
                                                   "userErrors": []}}})


async def healthz(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


app = Starlette(routes=[Route("/submit", submit, methods=["POST"]),
                        Route("/healthz", healthz)], lifespan=lifespan)
