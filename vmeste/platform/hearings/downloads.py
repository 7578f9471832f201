"""A hearing's protocol and conclusion at stable URLs, as HTML or PDF:

- ``/hearings/{id}/protocol.html|.pdf`` and ``/hearings/{id}/conclusion.html|.pdf``: the
  published version's public copy to everyone; the newest version's full copy, with the
  participants' annex, to the hearing's readers (a bearer token of an organiser, an
  operator of the organising body, an auditor); ``?version=n`` asks for one version;
- ``/hearings/{id}/protocol/extract.html|.pdf``: the signed-in participant's extract of
  the published protocol, with only their own proposals.

``{id}`` is the hearing's number (the key inside its GraphQL id). Whatever a caller may
not read answers as the platform's typed JSON errors (404 for what does not exist or is
not theirs to see, 401 without a token for the extract), never 500. A published version
never changes, so its answer carries a strong ETag (its copy's SHA-256); the public copy
may be cached by anyone, a full copy (personal data) only by the reader's own client.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.hearings.documents import Copy, protocol_extract, readable
from vmeste.platform.hearings.models import DocumentKind
from vmeste.platform.hearings.rendering import render_pdf
from vmeste.platform.http.protocol import json_error
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import ANONYMOUS, Principal

MAX_ID = 2**31 - 1
HTML = "text/html; charset=utf-8"
PDF = "application/pdf"
STATUS = {ErrorCode.NOT_FOUND: 404, ErrorCode.FORBIDDEN: 403,
          ErrorCode.UNAUTHENTICATED: 401, ErrorCode.INVALID: 400}
Endpoint = Callable[[Request], Awaitable[Response]]


def document_path(hearing_id: int, kind: DocumentKind | str, fmt: str) -> str:
    """The URL path of a hearing's ``kind`` (``protocol``, ``conclusion``) as ``fmt``."""
    return f"/hearings/{hearing_id}/{kind}.{fmt}"


def _principal(request: Request) -> Principal:
    found = request.scope.get("state", {}).get("principal")
    return found if isinstance(found, Principal) else ANONYMOUS


def _refused(error: DomainError) -> Response:
    first = error.errors[0]
    return json_error(STATUS.get(first.code, 400), first.code.value, first.message)


def _cache(copy: Copy) -> str:
    """Only a published version's public copy is for shared caches; a full copy
    (personal data) is kept by the reader's own client at most."""
    if copy.document.published_at is None:
        return "private, no-store"
    return "private, max-age=86400" if copy.full else "public, max-age=86400"


def _version(request: Request) -> int | None:
    text = request.query_params.get("version")
    if text is None:
        return None
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_ID:
        raise DomainError.of("version", _("The version is a number"), ErrorCode.INVALID)
    return int(text)


async def _body(html: str, fmt: str) -> tuple[bytes, str]:
    return (await render_pdf(html), PDF) if fmt == "pdf" else (html.encode(), HTML)


def _document(kind: DocumentKind, fmt: str) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        hearing_id = request.path_params["hearing_id"]
        try:
            if hearing_id > MAX_ID:
                raise DomainError.of(None, _("Hearing not found"), ErrorCode.NOT_FOUND)
            copy = await readable(_principal(request), hearing_id, kind, _version(request))
        except DomainError as error:
            return _refused(error)
        frozen = copy.document.published_at is not None
        etag = f'"{copy.sha256}-{fmt}"'
        headers = {"ETag": etag, "Vary": "Authorization",
                   "Cache-Control": _cache(copy),
                   "Content-Disposition": f'inline; filename="hearing-{hearing_id}-{kind}-'
                                          f'{copy.document.version}.{fmt}"'}
        if frozen and etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        body, media_type = await _body(copy.html, fmt)
        return Response(body, media_type=media_type, headers=headers)

    return endpoint


def _extract(fmt: str) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        hearing_id = request.path_params["hearing_id"]
        try:
            if hearing_id > MAX_ID:
                raise DomainError.of(None, _("Hearing not found"), ErrorCode.NOT_FOUND)
            html = await protocol_extract(_principal(request), hearing_id)
        except DomainError as error:
            return _refused(error)
        body, media_type = await _body(html, fmt)
        return Response(body, media_type=media_type, headers={
            "Cache-Control": "private, no-store",
            "Content-Disposition": f'inline; filename="hearing-{hearing_id}-extract.{fmt}"'})

    return endpoint


def routes() -> list[BaseRoute]:
    base = "/hearings/{hearing_id:int}"
    found: list[BaseRoute] = []
    for fmt in ("html", "pdf"):
        for kind in DocumentKind:
            found.append(Route(f"{base}/{kind}.{fmt}", _document(kind, fmt), methods=["GET"]))
        found.append(Route(f"{base}/protocol/extract.{fmt}", _extract(fmt), methods=["GET"]))
    return found
