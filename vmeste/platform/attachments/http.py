"""``POST /attachments`` (an upload) and ``GET /attachments/{id}/file|thumbnail`` (a
download by signed URL).

Refusals are typed JSON like the rest of the API
(``{"errors": [{"message", "extensions": {"code", "field"}}]}``): 401
``UNAUTHENTICATED``, 400 ``REQUIRED`` (no ``file`` part), 413 ``FILE_TOO_LARGE`` (or the
edge's ``REQUEST_TOO_LARGE`` for a body far past the limit), 415 ``WRONG_FILE_TYPE``
(or ``UNSUPPORTED_MEDIA_TYPE`` for a body that is not ``multipart/form-data``), 409
``TOO_MANY_FILES``, 422 ``FILE_INFECTED``, 503 ``SCAN_UNAVAILABLE`` or
``STORAGE_UNAVAILABLE``; a download with a forged signature is 403 ``BAD_SIGNATURE``, an
expired one 403 ``URL_EXPIRED``, a file no longer kept 404 ``NOT_FOUND``, a store that
cannot be reached 503 ``STORAGE_UNAVAILABLE``.
"""

from __future__ import annotations

from pathlib import PurePath
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from strawberry import relay

from vmeste.platform.attachments.models import Attachment
from vmeste.platform.attachments.signing import Refusal, Variant, refusal, signing_key
from vmeste.platform.attachments.storage import StoredObjectMissing
from vmeste.platform.attachments.uploads import FIELD, THUMBNAIL_TYPE, AttachmentServices
from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.http.protocol import HttpErrorCode, json_error
from vmeste.platform.http.uploads import MULTIPART_OVERHEAD, UploadRoute
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import ANONYMOUS
from vmeste.platform.settings import Settings

#: The GraphQL type whose global ids the upload answers with.
NODE_TYPE = "Attachment"
BAD_SIGNATURE = "BAD_SIGNATURE"
URL_EXPIRED = "URL_EXPIRED"
MAX_ID = 2**31 - 1
_STATUS = {ErrorCode.UNAUTHENTICATED: 401, ErrorCode.REQUIRED: 400,
           ErrorCode.FILE_TOO_LARGE: 413, ErrorCode.WRONG_FILE_TYPE: 415,
           ErrorCode.TOO_MANY_FILES: 409, ErrorCode.FILE_INFECTED: 422,
           ErrorCode.SCAN_UNAVAILABLE: 503, ErrorCode.STORAGE_UNAVAILABLE: 503}
#: Shown in the browser rather than saved: images only (a PDF may carry scripts).
_INLINE = ("image/jpeg", "image/png", "image/webp")


def _refused(error: DomainError) -> JSONResponse:
    first = error.errors[0]
    body = {"errors": [{"message": first.message,
                        "extensions": {"code": first.code.value, "field": first.field}}]}
    return JSONResponse(body, status_code=_STATUS.get(first.code, 400))


def _services(request: Request) -> AttachmentServices:
    return request.app.state.runtime.service(AttachmentServices)


async def upload(request: Request) -> Response:
    principal = request.scope.get("state", {}).get("principal") or ANONYMOUS
    if principal.user is None:
        return json_error(401, ErrorCode.UNAUTHENTICATED.value, _("Sign in to upload files"))
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return json_error(415, HttpErrorCode.UNSUPPORTED_MEDIA_TYPE,
                          _("Send the file as multipart/form-data"))
    try:
        async with request.form(max_files=1, max_fields=10) as form:
            part = form.get(FIELD)
            if part is None or isinstance(part, str):
                return _refused(DomainError.of(FIELD, _("Send the file in the part named "
                                                        "\u201cfile\u201d"), ErrorCode.REQUIRED))
            data = await part.read()
            name = part.filename or ""
    except (HTTPException, ValueError):
        return json_error(400, HttpErrorCode.INVALID_REQUEST,
                          _("The multipart body cannot be read"))
    try:
        row = await _services(request).upload(principal, name, data)
    except DomainError as error:
        return _refused(error)
    return JSONResponse({"id": relay.to_base64(NODE_TYPE, row.pk), "name": row.name,
                         "contentType": row.content_type, "size": row.size}, status_code=201)


async def download(request: Request) -> Response:
    services = _services(request)
    attachment_id = request.path_params["id"]
    try:
        variant = Variant(request.path_params["variant"])
        expires = int(request.query_params.get("expires", ""))
    except ValueError:
        return json_error(404, ErrorCode.NOT_FOUND.value, _("File not found"))
    given = request.query_params.get("signature", "")
    now = services.clock()
    key = signing_key(services.settings.secret_key)
    refused = refusal(key, attachment_id, variant, expires, given, now)
    if refused is Refusal.EXPIRED:
        return json_error(403, URL_EXPIRED, _("The link has expired; open the page again"))
    if refused is Refusal.FORGED:
        return json_error(403, BAD_SIGNATURE, _("The link is not valid"))
    row = await Attachment.get_or_none(id=attachment_id) if attachment_id <= MAX_ID else None
    stored = None if row is None else (
        row.storage_key if variant is Variant.FILE else row.thumbnail_key)
    if row is None or stored is None:
        return json_error(404, ErrorCode.NOT_FOUND.value, _("File not found"))
    tag = f'"{row.sha256}"' if variant is Variant.FILE else f'"{row.sha256}-t"'
    cache = {"Cache-Control": f"private, max-age={max(0, expires - int(now.timestamp()))}",
             "ETag": tag}
    if tag in (part.strip() for part in request.headers.get("if-none-match", "").split(",")):
        return Response(status_code=304, headers=cache)
    try:
        body = await (await services.storages.store_of(row.storage)).get(stored)
    except StoredObjectMissing:
        return json_error(404, ErrorCode.NOT_FOUND.value, _("File not found"))
    except OSError:  # StorageUnavailable included
        return json_error(503, ErrorCode.STORAGE_UNAVAILABLE.value,
                          _("Files cannot be read now; try again later"))
    media = row.content_type if variant is Variant.FILE else THUMBNAIL_TYPE
    disposition = "inline" if media in _INLINE else "attachment"
    name = row.name if variant is Variant.FILE else f"{PurePath(row.name).stem}-thumbnail.jpg"
    return Response(body, media_type=media, headers={
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(name)}", **cache,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox"})


def routes(settings: Settings) -> list[BaseRoute]:
    return [UploadRoute("/attachments", upload, methods=["POST"],
                        max_body_bytes=settings.attachment_max_bytes + MULTIPART_OVERHEAD),
            Route("/attachments/{id:int}/{variant}", download, methods=["GET"])]
