"""The widget's HTTP side: the loader a site embeds, the page its iframe shows, the
map it draws, the report of a submission, and the sign-in's return page.

Only a widget's sites may frame its page (``frame-ancestors``; an iframe's request
carries no Origin, so nothing else could tell), and the page sends no
``X-Frame-Options``, which would contradict it. A retired or unknown widget is the
same 404. The page's texts follow the widget's language, else the ``lang`` the loader
read from the browser, else the browser's ``Accept-Language`` (the edge's locale).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route
from strawberry import relay

from vmeste.platform.authz import require_authenticated
from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.http.protocol import json_error
from vmeste.platform.i18n import _, current, supported, use_locale
from vmeste.platform.identity.principal import ANONYMOUS, Principal
from vmeste.platform.reference.models import Territory
from vmeste.platform.settings import Settings
from vmeste.platform.widgets import opinion, opinion_page, page, placements
from vmeste.platform.widgets.models import Widget, WidgetKind

#: The files of the package the pages load, by the name in their URL.
ASSETS = {"widget.js": "text/javascript", "widget.css": "text/css",
          "frame-common.js": "text/javascript", "opinion.js": "text/javascript",
          "callback.js": "text/javascript", "loader.js": "text/javascript"}
#: At most this many areas inside the territory are drawn on its map.
MAX_AREAS = 200
_SAFE = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


def base_url(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def _principal(request: Request) -> Principal:
    return request.scope.get("state", {}).get("principal") or ANONYMOUS  # type: ignore[no-any-return]


def _not_found() -> Response:
    return json_error(404, ErrorCode.NOT_FOUND.value, _("Widget not found"), **_SAFE)


async def asset(request: Request) -> Response:
    name = request.path_params.get("name", "loader.js")
    media_type = ASSETS.get(name)
    if media_type is None:
        return json_error(404, ErrorCode.NOT_FOUND.value, _("File not found"))
    # The loader is fetched by every page of every site: cached briefly, so a fix
    # reaches them within the hour; any site may load it.
    return Response(page.template(name), media_type=media_type,
                    headers={**_SAFE, "Cache-Control": "public, max-age=3600",
                             "Cross-Origin-Resource-Policy": "cross-origin"})


def routes(settings: Settings) -> list[BaseRoute]:
    async def frame(request: Request) -> Response:
        widget = await placements.active_widget(request.path_params["key"])
        if widget is None:
            return _not_found()
        origin = placements.allowed_origin(widget, request.query_params.get("origin", ""),
                                           dev_mode=settings.dev_mode)
        if origin is not None and placements.framed_from(
                origin, request.headers.get("referer"), request.headers.get("sec-fetch-dest")):
            await placements.count_open(widget, origin, datetime.now(UTC))
        language = widget.language or supported(request.query_params.get("lang")) or current()
        with use_locale(language):
            render = (opinion_page.opinion_page if widget.kind == WidgetKind.OPINION
                      else page.frame_page)
            html = await render(widget, settings, base_url(request), origin or "")
        return HTMLResponse(html, headers={
            **_SAFE, "Content-Security-Policy": page.frame_policy(widget, settings),
            "Cache-Control": "no-store"})

    async def map_json(request: Request) -> Response:
        widget = await placements.active_widget(request.path_params["key"])
        if widget is None:
            return _not_found()
        return JSONResponse(await _map(widget), headers={
            **_SAFE, "Cache-Control": "public, max-age=3600"})

    async def submission(request: Request) -> Response:
        widget = await placements.active_widget(request.path_params["key"])
        if widget is None:
            return _not_found()
        try:
            body = await request.json()
            origin = placements.allowed_origin(widget, str(body.get("origin", "")),
                                               dev_mode=settings.dev_mode)
            if origin is None:
                raise DomainError.of("origin", _("This site is not one of the widget's"))
            principal = _principal(request)
            require_authenticated(principal)
            if widget.kind == WidgetKind.OPINION:
                counted = await opinion.count_opinion(widget, body, origin, datetime.now(UTC))
            else:
                counted = await placements.count_submission(
                    principal, widget, _appeal_pk(body.get("appealId")), origin,
                    datetime.now(UTC))
        except DomainError as error:
            problem = error.errors[0]
            status = {ErrorCode.UNAUTHENTICATED: 401, ErrorCode.NOT_FOUND: 404}.get(
                problem.code, 400)
            return json_error(status, problem.code.value, problem.message, **_SAFE)
        except (ValueError, AttributeError):
            return json_error(400, ErrorCode.INVALID.value,
                              _("Send JSON with the appeal's, response's or ballot's id and "
                                "the site's origin"), **_SAFE)
        return JSONResponse({"counted": counted}, headers=_SAFE)

    async def callback(request: Request) -> Response:
        return HTMLResponse(page.callback_page(), headers={
            **_SAFE, "Content-Security-Policy": page.OWN_PAGE_POLICY,
            "Cache-Control": "no-store"})

    return [
        Route("/widgets/loader.js", asset, methods=["GET"]),
        Route("/widgets/static/{name}", asset, methods=["GET"]),
        Route("/widgets/callback", callback, methods=["GET"]),
        Route("/widgets/{key}/frame", frame, methods=["GET"]),
        Route("/widgets/{key}/map.json", map_json, methods=["GET"]),
        Route("/widgets/{key}/submissions", submission, methods=["POST"]),
    ]


def _appeal_pk(value: Any) -> int:
    """An appeal's GraphQL id (``Appeal:…``) as its number."""
    try:
        decoded = relay.GlobalID.from_id(str(value))
    except Exception as error:  # strawberry raises several kinds for a malformed id
        raise ValueError("not a global id") from error
    if decoded.type_name != "Appeal" or not decoded.node_id.isdigit() or (
            int(decoded.node_id) > 2**31 - 1):
        raise DomainError.of("appealId", _("This is not an appeal's id"))
    return int(decoded.node_id)


async def _map(widget: Widget) -> dict[str, Any]:
    """The widget territory's boundary and those of the areas right inside it (GeoJSON
    geometries, longitude first), for the form to draw."""
    territory = await Territory.get(id=widget.territory_id)
    areas = await Territory.filter(parent_id=territory.id, boundary__isnull=False).order_by(
        "code").limit(MAX_AREAS).values("code", "name", "boundary")
    return {"code": territory.code, "name": territory.name, "boundary": territory.boundary,
            "areas": areas}
