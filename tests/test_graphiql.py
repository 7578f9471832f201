"""The dev-mode GraphiQL page loads everything from this server: no CDN, so it works on
a closed network."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

CONTENT_TYPES = {".js": ("text/javascript", "application/javascript"), ".css": ("text/css",)}


async def test_graphiql_references_only_local_assets(db: Any, client: httpx.AsyncClient) -> None:
    page = await client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "GraphiQL" in html
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assets = [url for url in urls if not url.startswith("data:")]
    assert len(assets) >= 4, urls
    for url in urls:
        assert not urlsplit(url).netloc and not url.startswith("//"), url
    assert not re.search(r"https?://", html), "the page names an outside host"
    for url in assets:
        absolute = urljoin(str(page.url), url)
        assert urlsplit(absolute).netloc == "vmeste.test"
        response = await client.get(absolute)
        assert response.status_code == 200, absolute
        suffix = url[url.rindex("."):]
        assert response.headers["content-type"].startswith(CONTENT_TYPES[suffix]), absolute
        assert len(response.content) > 500, absolute


async def test_the_assets_are_not_served_outside_dev_mode(db: Any, app_client: Any) -> None:
    # GraphiQL follows dev mode when load_settings reads it (VMESTE_GRAPHIQL unset), so
    # both change together here.
    async with app_client(dev_mode=False) as (_, graphql):
        asset = await graphql.http.get("/static/graphiql/graphiql.min.js")
        assert asset.status_code == 404
    async with app_client(dev_mode=True) as (_, graphql):
        asset = await graphql.http.get("/static/graphiql/graphiql.min.js")
        assert asset.status_code == 200
