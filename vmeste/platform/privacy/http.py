"""``GET /privacy/exports/{id}/archive.zip?expires=…&signature=…``: an export archive
through its signed link (see :mod:`vmeste.platform.privacy.links`).

A bad or foreign signature is 403 ``FORBIDDEN``, an expired link or an archive past its
days 410 ``GONE``, an unknown export 404 ``NOT_FOUND``: typed JSON, never a 500. The
answer is for the citizen's own client only (``private, no-store``).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

from vmeste.platform.http.protocol import json_error
from vmeste.platform.i18n import _
from vmeste.platform.privacy import archive, links
from vmeste.platform.privacy.models import DataExport, ExportStatus
from vmeste.platform.settings import Settings

MAX_ID = 2**31 - 1


def routes(settings: Settings) -> list[BaseRoute]:
    async def download(request: Request) -> Response:
        export_id: int = request.path_params["export_id"]
        expires_text = request.query_params.get("expires", "")
        given = request.query_params.get("signature", "")
        now = request.app.state.runtime.clock()
        if (export_id > MAX_ID or not (expires_text.isascii() and expires_text.isdigit())
                or len(expires_text) > 12):
            return json_error(403, "FORBIDDEN", _("This download link is not valid"))
        expires = int(expires_text)
        if not links.signed(settings, export_id, expires, given):
            return json_error(403, "FORBIDDEN", _("This download link is not valid"))
        if expires <= now.timestamp():
            return json_error(410, "GONE", _("This download link has expired; list your "
                                             "exports for a new one"))
        export = await DataExport.get_or_none(id=export_id)
        if export is None:
            return json_error(404, "NOT_FOUND", _("Export not found"))
        path = archive.folder(settings.data_dir) / export.file_name
        if export.status != ExportStatus.READY or not export.file_name or not path.is_file():
            return json_error(410, "GONE", _("This export has expired; ask for a new one"))
        return FileResponse(path, media_type="application/zip", headers={
            "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff",
            "ETag": f'"{export.sha256}"'}, filename=f"vmeste-data-{export.id}.zip")

    return [Route("/privacy/exports/{export_id:int}/archive.zip", download, methods=["GET"])]
