"""One HTTP exchange with a network, its transport failures typed the same way for all.

The messages name the network's method and the failure's type only: an httpx error
can quote the request's URL, and Telegram's holds the bot token.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from vmeste.platform.publics.failures import TransientError

#: Failed before the request left: sending it again cannot do it twice.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


async def post_json(client: httpx.AsyncClient, url: str, what: str, *,
                    data: Mapping[str, Any] | None = None,
                    json: Mapping[str, Any] | None = None) -> tuple[int, Any]:
    """POST and decode the JSON answer: (status, body). A 5xx, a broken connection
    after sending and an answer that is not JSON are ambiguous transient failures."""
    try:
        response = await client.post(url, data=data, json=json)
        body = response.json() if response.status_code < 500 else None
    except _NOT_SENT as error:
        raise TransientError(f"{what}: {type(error).__name__}") from None
    except (httpx.TransportError, ValueError) as error:
        raise TransientError(f"{what}: {type(error).__name__}", ambiguous=True) from None
    if response.status_code >= 500:
        raise TransientError(f"{what}: HTTP {response.status_code}", ambiguous=True)
    return response.status_code, body
