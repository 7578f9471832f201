"""``/publics/compliance.csv?region=CODE&on=YYYY-MM-DD``: the compliance shares as CSV,
public like the GraphQL field (see :mod:`vmeste.platform.publics.exports`)."""

from __future__ import annotations

from datetime import date

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.http.protocol import json_error
from vmeste.platform.i18n import _
from vmeste.platform.publics.exports import shares_csv, shares_with_names

CSV = "text/csv; charset=utf-8"


async def compliance_csv(request: Request) -> Response:
    region = request.query_params.get("region") or None
    try:
        on = date.fromisoformat(request.query_params["on"]) if request.query_params.get(
            "on") else None
    except ValueError:
        return json_error(400, ErrorCode.INVALID.value, _("The date is not YYYY-MM-DD"))
    try:
        shares, names = await shares_with_names(region, on)
    except DomainError:
        return json_error(404, ErrorCode.NOT_FOUND.value, _("Territory not found"))
    return Response(shares_csv(shares, names), media_type=CSV,
                    headers={"Content-Disposition": 'attachment; filename="compliance.csv"'})


def routes() -> list[BaseRoute]:
    return [Route("/publics/compliance.csv", compliance_csv, methods=["GET"])]
