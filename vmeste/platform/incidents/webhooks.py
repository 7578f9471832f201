"""``POST /incidents/webhooks/{network}/{page_id}``: the networks' pushes (VK's Callback
API, a Telegram bot's webhook) for one official page.

The page's connector checks the push's secret and reads its posts, which are stored like
fetched ones; the answer is the connector's (VK's confirmation code, or ``ok``). Every
refusal is a typed JSON error, as the platform's other routes answer: an unknown or
retired page 404, a wrong secret 403, a body the network would not send 400. The edge
has already limited the body's size. A page's id is the registry's, so a URL names no
account on the network.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from vmeste.platform.errors import ErrorCode
from vmeste.platform.http.protocol import json_error
from vmeste.platform.i18n import _
from vmeste.platform.incidents.ingest import store_posts
from vmeste.platform.incidents.rules import MAX_ID
from vmeste.platform.incidents.services import IncidentServices
from vmeste.platform.publics.connectors import WebhookRequest, WebhookResult
from vmeste.platform.publics.failures import ConnectorError, Unauthorized, Unsupported
from vmeste.platform.publics.models import OfficialPage, PageStatus


async def _parsed(services: IncidentServices, page: OfficialPage, request: WebhookRequest
                  ) -> WebhookResult:
    async with services.hub.connector(page.network, page.territory.code,
                                      page.token_variable) as connector:
        return connector.parse_webhook(request)


async def receive(request: Request) -> Response:
    network, page_id = request.path_params["network"], request.path_params["page_id"]
    page = await OfficialPage.filter(id=page_id, network=network, status=PageStatus.ACTIVE
                                     ).prefetch_related("territory").first() if (
        page_id <= MAX_ID) else None
    if page is None:
        return json_error(404, ErrorCode.NOT_FOUND.value, _("Official page not found"))
    services = request.app.state.runtime.service(IncidentServices)
    pushed = WebhookRequest(headers={k.lower(): v for k, v in request.headers.items()},
                            body=await request.body())
    try:
        result = await _parsed(services, page, pushed)
    except Unauthorized:
        return json_error(403, ErrorCode.FORBIDDEN.value, _("The push's secret is wrong"))
    except Unsupported:
        return json_error(404, ErrorCode.NOT_FOUND.value,
                          _("This page's network sends no pushes"))
    except (ConnectorError, KeyError, TypeError, ValueError, AttributeError):
        # A connector reads the push as the network documents it; anything else is
        # the sender's mistake, not ours.
        return json_error(400, ErrorCode.INVALID.value, _("The push is malformed"))
    # The address names the page, and its secret proves the push is the network's for
    # that page: a post of another page is not taken from it.
    foreign = [p for p in result.posts if (p.network, p.page_id) != (page.network,
                                                                      page.page_ref)]
    if foreign:
        return json_error(400, ErrorCode.INVALID.value,
                          _("The push carries posts of another page"))
    await store_posts(result.posts, services.clock())
    return PlainTextResponse(result.answer)


def routes() -> list[BaseRoute]:
    return [Route("/incidents/webhooks/{network:str}/{page_id:int}", receive,
                  methods=["POST"])]
