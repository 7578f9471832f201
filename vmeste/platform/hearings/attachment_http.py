"""``/hearings/attachments/{id}``: a file of a draft, to whoever may read its version.

Anything the caller may not read (a draft's file, an unknown id) is the same 404, so a
URL tells nothing of a draft. A file never changes (it is stored under its hash), so
the answer carries a strong ETag (the hash) and a conditional request gets 304; an
unpublished draft's file is ``private``, a published one may be cached by anyone.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from vmeste.platform.errors import ErrorCode
from vmeste.platform.hearings.attachments import FileStorage, published, readable_attachment
from vmeste.platform.http.protocol import json_error
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import ANONYMOUS

MAX_ID = 2**31 - 1


def attachment_path(attachment_id: int) -> str:
    return f"/hearings/attachments/{attachment_id}"


def routes(storage: FileStorage) -> list[BaseRoute]:
    async def endpoint(request: Request) -> Response:
        attachment_id = request.path_params["id"]
        principal = request.scope.get("state", {}).get("principal") or ANONYMOUS
        row = await readable_attachment(principal, attachment_id) if (
            attachment_id <= MAX_ID) else None
        if row is None:
            return json_error(404, ErrorCode.NOT_FOUND.value, _("File not found"))
        etag = f'"{row.sha256}"'
        public = published(row)
        headers = {"ETag": etag, "Cache-Control": "public, max-age=86400" if public
                   else "private, max-age=0",
                   "Content-Disposition": f"attachment; filename*=UTF-8''{quote(row.name)}",
                   "X-Content-Type-Options": "nosniff"}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        body = await storage.read(row.storage_key)
        return Response(body, media_type=row.content_type, headers=headers)

    return [Route("/hearings/attachments/{id:int}", endpoint, methods=["GET"])]
