"""Routes that take a body larger than ``VMESTE_MAX_REQUEST_BYTES`` (a file upload).

The edge reads every body before any route runs, up to one limit; a route declared as
an :class:`UploadRoute` gets its own, so GraphQL stays bounded by the small limit while
``POST /attachments`` takes a photo. The composition root hands the edge every such
route's limit (``body_limits``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from starlette.routing import BaseRoute, Route

#: Room for a multipart body's boundaries and part headers around the file itself.
MULTIPART_OVERHEAD = 64 * 1024


class UploadRoute(Route):
    def __init__(self, path: str, endpoint: Any, *, max_body_bytes: int, **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        self.max_body_bytes = max_body_bytes


def body_limits(routes: Iterable[BaseRoute]) -> dict[str, int]:
    """The body limit of each upload route, by path."""
    return {route.path: route.max_body_bytes for route in routes
            if isinstance(route, UploadRoute)}
