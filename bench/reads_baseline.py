"""P0, the baseline of bench/reads.py: the documents Vmeste answers to the bench's
reads, built by hand. One SQL statement a request with the joins and the operator's
visibility in the WHERE clause; no GraphQL, no token check, orjson out.

The operator's body comes in BENCH_BODY_ID; the bodies below it are looked up once at
start-up, as the platform would for that operator (vmeste.platform.appeals.access). A
hearing's proposals are its published ones, and all of them for the staff of its
organising body (vmeste.platform.hearings.proposals).
"""

from __future__ import annotations

import base64
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

#: The body's subtree (as deep as the platform follows it) and the visibility predicate:
#: appeals of those bodies, but no complaint about the operator's own body.
SUBTREE = """WITH RECURSIVE tree(id, depth) AS (
  SELECT id, 0 FROM organization WHERE id = $1
  UNION SELECT o.id, t.depth + 1 FROM organization o JOIN tree t ON o.parent_id = t.id
  WHERE t.depth < 8)
SELECT DISTINCT id FROM tree"""
VISIBLE = """a.organization_id = ANY($1::int[])
  AND (a.complained_organization_id IS NULL OR a.complained_organization_id <> ALL($2::int[]))"""
PAGE = f"""SELECT a.id, upper(a.status) AS status, upper(a.channel) AS channel, a.text,
  a.created_at, o.name AS organization, c.code AS category_code, c.name AS category_name,
  t.code AS territory_code, t.name AS territory_name
FROM appeal a JOIN organization o ON o.id = a.organization_id
  JOIN category c ON c.id = a.category_id JOIN territory t ON t.id = a.territory_id
WHERE {VISIBLE} AND a.id > $3 ORDER BY a.id LIMIT $4"""
ONE = f"""SELECT a.id, upper(a.status) AS status, o.name AS organization
FROM appeal a JOIN organization o ON o.id = a.organization_id
WHERE {VISIBLE} AND a.id = $3"""
PROPOSALS = """SELECT p.id, p.number, p.text, p.quote, upper(p.channel) AS channel,
  upper(p.status) AS status, upper(p.participant_class) AS participant_class, p.created_at,
  s.id AS section_id, s.number AS section_number, s.heading AS section_heading
FROM hearing_proposal p JOIN hearing h ON h.id = p.hearing_id
  LEFT JOIN draft_section s ON s.id = p.section_id
WHERE p.hearing_id = $1 AND h.status <> 'draft'
  AND (p.status = 'published' OR h.organiser_id = ANY($2::int[]))
ORDER BY p.id LIMIT $3"""


def global_id(pk: int, kind: str = "Appeal") -> str:
    return base64.b64encode(f"{kind}:{pk}".encode()).decode()


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    url = os.environ["BENCH_DATABASE_URL"].replace("postgres://", "postgresql://", 1)
    body = int(os.environ["BENCH_BODY_ID"])
    app.state.pool = await asyncpg.create_pool(url, min_size=4, max_size=20)
    async with app.state.pool.acquire() as conn:
        app.state.bodies = [row["id"] for row in await conn.fetch(SUBTREE, body)]
    app.state.own = [body]
    yield
    await app.state.pool.close()


async def page(request: Request, variables: dict) -> dict:
    state = request.app.state
    rows = await state.pool.fetch(PAGE, state.bodies, state.own, 0, 100)
    edges = [{"node": {
        "id": global_id(row["id"]), "status": row["status"], "channel": row["channel"],
        "text": row["text"], "createdAt": row["created_at"],
        "organization": {"name": row["organization"]},
        "category": {"code": row["category_code"], "name": row["category_name"]},
        "territory": {"code": row["territory_code"], "name": row["territory_name"]},
    }} for row in rows]
    return {"appeals": {"edges": edges}}


async def one(request: Request, variables: dict) -> dict:
    state = request.app.state
    kind, _, pk = base64.b64decode(variables["id"]).decode().partition(":")
    row = None
    if kind == "Appeal" and pk.isdigit():
        row = await state.pool.fetchrow(ONE, state.bodies, state.own, int(pk))
    if row is None:
        return {"appeal": None}
    return {"appeal": {"id": global_id(row["id"]), "status": row["status"],
                       "organization": {"name": row["organization"]}}}


async def proposals(request: Request, variables: dict) -> dict:
    state = request.app.state
    kind, _, pk = base64.b64decode(variables["h"]).decode().partition(":")
    rows = await state.pool.fetch(PROPOSALS, int(pk), state.own, 100) if (
        kind == "Hearing" and pk.isdigit()) else []
    edges = [{"node": {
        "id": global_id(row["id"], "HearingProposal"), "number": row["number"],
        "text": row["text"], "quote": row["quote"], "channel": row["channel"],
        "status": row["status"], "participantClass": row["participant_class"],
        "createdAt": row["created_at"],
        "section": None if row["section_id"] is None else {
            "number": row["section_number"], "heading": row["section_heading"]},
    }} for row in rows]
    return {"hearingProposals": {"edges": edges}}


OPERATIONS = {"W": page, "S": one, "P": proposals}


async def graphql(request: Request) -> Response:
    body = orjson.loads(await request.body())
    data = await OPERATIONS[body["operationName"]](request, body.get("variables") or {})
    return Response(orjson.dumps({"data": data}), media_type="application/json")


async def healthz(_: Request) -> Response:
    return Response(b"ok")


app = Starlette(routes=[Route("/graphql", graphql, methods=["POST"]),
                        Route("/healthz", healthz)], lifespan=lifespan)
