"""GeoReport v2 at ``/open311/v2/``: discovery, services, a service's definition,
requests to file and to read, and one request (always an array). Each resource answers
in the format its name ends with (``.xml`` or ``.json``); every refusal is the spec's
error array in that format, 400 for bad input, 403 for a missing, unknown or revoked
``api_key``, 404 for what does not exist. Descriptions follow ``Accept-Language``.

Requests spend the API's budgets (``VMESTE_RATE_LIMIT_*``): a POST the ``mutations``
budget of its client application (one without a valid key the ``anonymous`` budget of
its address), a read the ``anonymous`` budget of its address (the protocol's reads
carry no identity); a spent budget is a 429 in the same error shape,
with ``Retry-After``.

``jurisdiction_id`` is optional (one endpoint serves the country); given, it is a
territory code, narrows the requests read to that territory and locates a request that
gives no other location.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from vmeste.platform.appeals.services import AppealServices
from vmeste.platform.i18n import _
from vmeste.platform.open311 import catalog, reads
from vmeste.platform.open311.filing import TERRITORY_CODE_MAX, Form, file_request
from vmeste.platform.open311.formats import (
    FORMATS,
    Open311Error,
    error_response,
    number,
    render,
)
from vmeste.platform.open311.keys import client_of
from vmeste.platform.ratelimits.clients import client_key, parse_networks
from vmeste.platform.ratelimits.limiter import Budget, RequestLimiter
from vmeste.platform.reference.models import Territory
from vmeste.platform.settings import Settings

BASE = "/open311/v2"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
#: When this implementation of the spec last changed (discovery's ``changeset``).
CHANGESET = "2026-12-04T00:00:00Z"
FORM = "application/x-www-form-urlencoded"
MAX_FIELDS = 200


class Budgets:
    """The API's request budgets as Open311 spends them (nothing when they are off)."""

    def __init__(self, settings: Settings) -> None:
        self.limiter = RequestLimiter(settings) if settings.rate_limits else None
        self.trusted = parse_networks(settings.trusted_proxies)

    async def spend(self, budget: Budget, key: str) -> None:
        if self.limiter is None:
            return
        refusal = await self.limiter.spend(budget, f"open311:{key}")
        if refusal is not None:
            raise Open311Error(429, refusal.message, retry_after=refusal.retry_after)

    async def spend_address(self, request: Request) -> None:
        await self.spend(Budget.ANONYMOUS, f"ip:{client_key(request.scope, self.trusted)}")


Handler = Callable[[Request, str, Budgets], Awaitable[Response]]


def _now(request: Request) -> datetime:
    return request.app.state.runtime.clock()


async def _jurisdiction(given: str) -> Territory | None:
    if not given:
        return None
    found = await Territory.get_or_none(code=given) if len(given) <= TERRITORY_CODE_MAX \
        else None
    if found is None:
        raise Open311Error(404, _("jurisdiction_id {code} not found", code=given))
    return found


async def _discovery(request: Request, fmt: str, budgets: Budgets) -> Response:
    url = str(request.base_url).rstrip("/") + BASE
    return render(fmt, "discovery", {
        "changeset": CHANGESET,
        "contact": _("API keys are issued by the platform's administrators"),
        "key_service": _("Ask the platform's administrators for a key for your application"),
        "endpoints": [{"specification": SPECIFICATION, "url": url, "changeset": CHANGESET,
                       "type": "production", "formats": ["text/xml", "application/json"]}],
    })


async def _services(request: Request, fmt: str, budgets: Budgets) -> Response:
    await _jurisdiction(request.query_params.get("jurisdiction_id", ""))
    return render(fmt, "services", [
        {"service_code": s.code, "service_name": s.name, "description": s.description,
         "metadata": s.metadata, "type": "realtime", "keywords": ", ".join(s.keywords),
         "group": s.group} for s in await catalog.services()])


async def _definition(request: Request, fmt: str, budgets: Budgets) -> Response:
    await _jurisdiction(request.query_params.get("jurisdiction_id", ""))
    code = request.path_params["code"]
    service = await catalog.service(code)
    if service is None:
        raise Open311Error(404, _("Service {code} not found", code=code))
    return render(fmt, "service_definition", {
        "service_code": service.code,
        "attributes": [{
            "variable": a["variable"], "code": a["code"], "datatype": a["datatype"],
            "required": a["required"], "datatype_description": a["datatype_description"] or None,
            "order": a["order"], "description": a["description"],
            "values": a["values"]} for a in service.attributes],
    })


async def _form(request: Request) -> list[tuple[str, str]]:
    if not request.headers.get("content-type", FORM).lower().startswith(FORM):
        raise Open311Error(400, _("A request is sent form-encoded ({media_type})",
                                  media_type=FORM))
    try:
        pairs = parse_qsl((await request.body()).decode(), keep_blank_values=True,
                          max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise Open311Error(400, _("The form is not readable as UTF-8 form fields")) from None
    return pairs


async def _caller(key: str) -> int | None:
    found = await client_of(key) if key else None
    return found[0].id if found else None


async def _post(request: Request, fmt: str, budgets: Budgets) -> Response:
    # Until a client is known there is only the address to count: an unreadable form,
    # a missing or a guessed key spends the address's anonymous budget, as a read does.
    try:
        form = Form.of(await _form(request))
        found = await client_of(form.get("api_key")) if form.get("api_key") else None
        if found is None:
            raise Open311Error(403, _("A valid api_key is required to file a request"))
    except Open311Error:
        await budgets.spend_address(request)
        raise
    client, principal = found
    await budgets.spend(Budget.MUTATIONS, f"client:{client.id}")
    jurisdiction = await _jurisdiction(form.get("jurisdiction_id"))
    appeals = request.app.state.runtime.service(AppealServices)
    filed = await file_request(appeals, client, principal, form, jurisdiction)
    row = (await reads.one(filed.appeal.id, client.id))[0]
    return render(fmt, "service_requests", [{
        "service_request_id": filed.appeal.id, "service_notice": row["service_notice"],
        "account_id": filed.account_id or None}])


async def _requests(request: Request, fmt: str, budgets: Budgets) -> Response:
    if request.method == "POST":
        return await _post(request, fmt, budgets)
    params = request.query_params
    jurisdiction = await _jurisdiction(params.get("jurisdiction_id", ""))
    query = reads.Query(
        service_request_id=params.get("service_request_id", ""),
        service_code=",".join(params.getlist("service_code")),
        start_date=params.get("start_date", ""), end_date=params.get("end_date", ""),
        status=",".join(params.getlist("status")),
        jurisdiction_path=jurisdiction.path if jurisdiction else None)
    found = await reads.find(query, _now(request), await _caller(params.get("api_key", "")))
    return render(fmt, "service_requests", found)


async def _request(request: Request, fmt: str, budgets: Budgets) -> Response:
    jurisdiction = await _jurisdiction(request.query_params.get("jurisdiction_id", ""))
    given = request.path_params["id"]
    if (appeal_id := number(given)) is None:
        raise Open311Error(404, _("Service request {id} not found", id=given))
    caller = await _caller(request.query_params.get("api_key", ""))
    return render(fmt, "service_requests", await reads.one(
        appeal_id, caller, jurisdiction.path if jurisdiction else None))


def _endpoint(handler: Handler, budgets: Budgets) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        fmt = request.path_params["format"]
        if fmt not in FORMATS:
            return error_response("xml", 404, [_("The format is xml or json")])
        try:
            if request.method == "GET":
                await budgets.spend_address(request)
            return await handler(request, fmt, budgets)
        except Open311Error as refused:
            response = error_response(fmt, refused.status, refused.descriptions)
            if refused.retry_after is not None:
                response.headers["Retry-After"] = str(refused.retry_after)
            return response

    return endpoint


def routes(settings: Settings) -> list[BaseRoute]:
    served: tuple[tuple[str, Handler, list[str]], ...] = (
        ("discovery", _discovery, ["GET"]),
        ("services", _services, ["GET"]),
        ("services/{code}", _definition, ["GET"]),
        ("requests", _requests, ["GET", "POST"]),
        ("requests/{id}", _request, ["GET"]),
    )
    budgets = Budgets(settings)
    return [Route(f"{BASE}/{path}.{{format}}", _endpoint(handler, budgets), methods=methods)
            for path, handler, methods in served]
