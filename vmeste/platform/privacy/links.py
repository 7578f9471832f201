"""Signed, expiring download links of export archives.

A browser downloads a file by following a link, without the bearer token a GraphQL
call carries, so the link itself is the permission: an HMAC over the export's id and
the link's expiry, keyed from ``VMESTE_SECRET_KEY``. A link lives
``VMESTE_DATA_EXPORT_LINK_MINUTES`` and never past the archive's own expiry; a new one
is signed each time the citizen lists their exports.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from vmeste.platform.privacy.models import DataExport
from vmeste.platform.settings import Settings

#: The key of a development installation without VMESTE_SECRET_KEY (production refuses
#: to start without one).
DEVELOPMENT_KEY = b"vmeste-development-export-links"


def archive_path(export_id: int) -> str:
    return f"/privacy/exports/{export_id}/archive.zip"


def _key(settings: Settings) -> bytes:
    if not settings.secret_key:
        return DEVELOPMENT_KEY
    return hmac.new(settings.secret_key.encode(), b"vmeste data export links",
                    hashlib.sha256).digest()


def signature(settings: Settings, export_id: int, expires: int) -> str:
    return hmac.new(_key(settings), f"{export_id}.{expires}".encode(),
                    hashlib.sha256).hexdigest()


def download_url(settings: Settings, export: DataExport, now: datetime) -> str | None:
    """A link to a ready archive, or None for one that is not (or no longer) there."""
    if export.expires_at is None or export.expires_at <= now or not export.file_name:
        return None
    until = min(now + timedelta(minutes=settings.data_export_link_minutes), export.expires_at)
    expires = int(until.timestamp())
    return (f"{archive_path(export.id)}?expires={expires}"
            f"&signature={signature(settings, export.id, expires)}")


def signed(settings: Settings, export_id: int, expires: int, given: str) -> bool:
    """The link's signature is ours (whether it expired is the caller's next check)."""
    return hmac.compare_digest(signature(settings, export_id, expires), given)
