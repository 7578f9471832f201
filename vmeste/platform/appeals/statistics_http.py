"""Appeal statistics at stable URLs, for a site to embed or a newspaper to link:

- ``/statistics/appeals.csv?…``: every point of the series as a table;
- ``/statistics/appeals/{figure}.svg?…``: a chart of one figure
  (:data:`~vmeste.platform.appeals.statistics_chart.FIGURES`).

The query string is :class:`StatisticsRequest`'s (``groupBy``, ``period``, ``from``,
``to``, ``territory``, ``organization``, ``category``, ``published``). A bad parameter
is a 400 with the transport's JSON error body, its code and the parameter's name as
``field``; an unknown figure is a 404. Without a token (an ``<img>`` on a site) the
answer is the public view, small points hidden; with a staff token whose holder may
read every counted appeal it is the whole figures, marked ``private``. Figures move as
appeals do, so the answers carry a strong ETag (a hash of the body: a conditional
request gets 304) and a short public lifetime.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from vmeste.platform.appeals.statistics_chart import FIGURES, statistics_chart
from vmeste.platform.appeals.statistics_request import (
    CHART_PATH,
    CSV_PATH,
    StatisticsRequest,
    scope_label,
    series_names,
    statistics_csv,
)
from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.http.protocol import json_error
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import ANONYMOUS
from vmeste.platform.settings import Settings

SVG = "image/svg+xml; charset=utf-8"
CSV = "text/csv; charset=utf-8"
#: Five minutes: the public figures move with every answer, but not by the second.
PUBLIC_CACHE = "public, max-age=300"
PRIVATE_CACHE = "private, no-cache"


def strong_etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def routes(settings: Settings) -> list[BaseRoute]:
    async def answer(request: Request, figure: str | None) -> Response:
        principal = request.scope.get("state", {}).get("principal") or ANONYMOUS
        runtime = getattr(request.app.state, "runtime", None)
        now = runtime.clock() if runtime is not None else datetime.now(UTC)
        try:
            wanted = StatisticsRequest.from_params(request.query_params)
            found = await wanted.run(principal, now, settings.min_group_size)
        except DomainError as error:
            first = error.errors[0]
            return json_error(404 if first.code is ErrorCode.NOT_FOUND else 400,
                              first.code.value, first.message, field=first.field)
        names = await series_names(wanted.by, [s.key for s in found.series])
        if figure is None:
            content, media_type = statistics_csv(found, wanted, names), CSV
        else:
            content = statistics_chart(figure, found, wanted, names, await scope_label(wanted))
            media_type = SVG
        body = content.encode()
        etag = strong_etag(body)
        headers = {"ETag": etag, "Vary": "Authorization",
                   "Cache-Control": PUBLIC_CACHE if found.published else PRIVATE_CACHE}
        if figure is None:
            headers["Content-Disposition"] = 'inline; filename="appeal-statistics.csv"'
        if etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return Response(body, media_type=media_type, headers=headers)

    async def csv_endpoint(request: Request) -> Response:
        return await answer(request, None)

    async def chart_endpoint(request: Request) -> Response:
        figure = request.path_params["figure"]
        if figure not in FIGURES:
            return json_error(404, ErrorCode.NOT_FOUND.value, _(
                "No such figure: one of {figures}", figures=", ".join(FIGURES)))
        return await answer(request, figure)

    return [Route(CSV_PATH, csv_endpoint, methods=["GET"]),
            Route(CHART_PATH, chart_endpoint, methods=["GET"])]
