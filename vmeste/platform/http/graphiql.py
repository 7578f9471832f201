"""GraphiQL from files inside the package: Strawberry's page loads React and GraphiQL
from a CDN, which a government's closed network (or a laptop on a train) cannot reach."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

ASSETS = Path(__file__).resolve().parent.parent / "static" / "graphiql"
#: Where the page's relative ``static/graphiql/…`` URLs land beside ``/graphql``.
ASSETS_PATH = "/static/graphiql"


@cache
def page() -> str:
    return (Path(__file__).with_name("graphiql.html")).read_text(encoding="utf-8")


def assets() -> Mount:
    return Mount(ASSETS_PATH, StaticFiles(directory=ASSETS), name="graphiql-assets")
