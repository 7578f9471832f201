"""Writing audit events inside the caller's transaction, so a change and its record
commit or fail together."""

from __future__ import annotations

from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from vmeste.platform.audit.models import AuditEvent


async def record(
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | int,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    scope_path: str = "",
    using: BaseDBAsyncClient | None = None,
) -> AuditEvent:
    return await AuditEvent.create(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=before,
        after=after,
        scope_path=scope_path,
        using_db=using,
    )


def snapshot(obj: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """A JSON-ready copy of the named attributes, taken before and after a change."""
    out: dict[str, Any] = {}
    for name in names:
        value = getattr(obj, name)
        out[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return out
