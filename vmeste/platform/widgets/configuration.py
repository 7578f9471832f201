"""A widget's configuration: made and changed by its keepers, each write audited in
its own transaction.

The allowed origins are what the widget's page names in ``frame-ancestors``, so they
are checked strictly: a scheme, a host and an optional port, nothing else; ``https``
only, but for loopback hosts (a developer's machine, the browser tests) in dev mode.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from vmeste.platform.audit.services import record
from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.i18n import SUPPORTED, _
from vmeste.platform.identity.principal import Principal
from vmeste.platform.polls.models import Poll
from vmeste.platform.reference.models import Category, Organization, Territory, subtree
from vmeste.platform.votes.models import Vote
from vmeste.platform.widgets import access
from vmeste.platform.widgets.models import Widget, WidgetKind, WidgetStatus

MAX_ORIGINS = 20
MAX_CATEGORIES = 50
#: The most polls, and the most votes, an opinion widget names.
MAX_CHOSEN = 20
LOOPBACK = ("localhost", "127.0.0.1", "[::1]")
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_HOST = re.compile(r"(\[::1\]|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)")
EDITABLE = ("title", "intro", "language", "colour", "category_codes", "allowed_origins",
            "poll_ids", "vote_ids", "status")


@dataclass(frozen=True)
class WidgetInput:
    title: str
    category_codes: tuple[str, ...]
    allowed_origins: tuple[str, ...]
    organization_id: int | None = None
    territory_code: str | None = None
    intro: str = ""
    language: str = ""
    colour: str = "#1f5fbf"
    kind: WidgetKind = WidgetKind.APPEAL
    poll_ids: tuple[int, ...] = ()
    vote_ids: tuple[int, ...] = ()


def normal_origin(value: str, *, dev_mode: bool) -> str | None:
    """``value`` as an origin (``scheme://host[:port]``, lower case), or None when it is
    not one or is not allowed."""
    value = value.strip().lower().rstrip("/")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname or ""
    shown = f"[{host}]" if ":" in host else host
    if parts.path or parts.query or parts.fragment or parts.username or parts.password:
        return None
    if not _HOST.fullmatch(shown) or value != f"{parts.scheme}://{shown}" + (
            f":{port}" if port is not None else ""):
        return None
    if parts.scheme == "https" or (parts.scheme == "http" and dev_mode and shown in LOOPBACK):
        return value
    return None


def _origins(values: tuple[str, ...] | list[str], dev_mode: bool) -> list[str]:
    if not values:
        raise DomainError.of("allowedOrigins", _("Name at least one site origin"),
                             ErrorCode.REQUIRED)
    if len(values) > MAX_ORIGINS:
        raise DomainError.of("allowedOrigins", _("At most {limit} site origins",
                                                 limit=MAX_ORIGINS))
    found: list[str] = []
    for value in values:
        origin = normal_origin(value, dev_mode=dev_mode)
        if origin is None:
            raise DomainError.of("allowedOrigins", _(
                "Not a site origin: {value} (use https://host or https://host:port)",
                value=value[:100]))
        if origin not in found:
            found.append(origin)
    return found


async def _categories(codes: tuple[str, ...] | list[str], kind: WidgetKind) -> list[str]:
    if kind == WidgetKind.OPINION:
        if codes:
            raise DomainError.of("categoryCodes", _("An opinion widget offers no categories"))
        return []
    if not codes:
        raise DomainError.of("categoryCodes", _("Offer at least one category"),
                             ErrorCode.REQUIRED)
    if len(codes) > MAX_CATEGORIES:
        raise DomainError.of("categoryCodes", _("At most {limit} categories",
                                                limit=MAX_CATEGORIES))
    unique = list(dict.fromkeys(codes))
    known = set(await Category.filter(code__in=unique).values_list("code", flat=True))
    missing = [code for code in unique if code not in known]
    if missing:
        raise DomainError.of("categoryCodes", _("Category not found: {code}",
                                                code=missing[0][:64]), ErrorCode.NOT_FOUND)
    return unique


def _texts(changes: dict[str, Any]) -> None:
    if "title" in changes:
        changes["title"] = changes["title"].strip()
        if not changes["title"] or len(changes["title"]) > 200:
            raise DomainError.of("title", _("A title of 1 to 200 characters is required"),
                                 ErrorCode.REQUIRED)
    if len(changes.get("intro", "")) > 2000:
        raise DomainError.of("intro", _("At most {limit} characters", limit=2000))
    if changes.get("language", "") not in ("", *SUPPORTED):
        raise DomainError.of("language", _("Use ru, en or empty (the browser's language)"))
    if "colour" in changes and not _COLOUR.fullmatch(changes["colour"]):
        raise DomainError.of("colour", _("A colour is #rrggbb"))


async def _chosen(field: str, model: type[Poll] | type[Vote], ids: tuple[int, ...] | list[int],
                  kind: WidgetKind, path: str) -> list[int]:
    """An opinion widget's chosen polls or votes: existing, out of draft, and on the
    widget's territory (its audience the territory or one inside it)."""
    if not ids:
        return []
    if kind != WidgetKind.OPINION:
        raise DomainError.of(field, _("Only an opinion widget names polls and votes"))
    if len(ids) > MAX_CHOSEN:
        raise DomainError.of(field, _("At most {limit} polls or votes", limit=MAX_CHOSEN))
    unique = list(dict.fromkeys(ids))
    query = model.filter(subtree(path, "territory_path"), id__in=unique).exclude(status="draft")
    if model is Vote:
        query = query.filter(is_template=False)
    if await query.count() != len(unique):
        raise DomainError.of(field, _("Not a poll or vote of the widget's territory"),
                             ErrorCode.NOT_FOUND)
    return unique


async def _checked(changes: dict[str, Any], dev_mode: bool, kind: WidgetKind,
                   path: str) -> dict[str, Any]:
    _texts(changes)
    if "category_codes" in changes:
        changes["category_codes"] = await _categories(changes["category_codes"], kind)
    if "poll_ids" in changes:
        changes["poll_ids"] = await _chosen("pollIds", Poll, changes["poll_ids"], kind, path)
    if "vote_ids" in changes:
        changes["vote_ids"] = await _chosen("voteIds", Vote, changes["vote_ids"], kind, path)
    if "allowed_origins" in changes:
        changes["allowed_origins"] = _origins(changes["allowed_origins"], dev_mode)
    return changes


def widget_state(widget: Widget) -> dict[str, Any]:
    """What the audit trail keeps of a widget."""
    return {"public_key": widget.public_key, "kind": str(widget.kind),
            "organization_id": widget.organization_id, "territory_path": widget.territory_path,
            **{name: str(getattr(widget, name)) if name == "status" else getattr(widget, name)
               for name in EDITABLE}}


async def _audit(conn: BaseDBAsyncClient, actor: str, action: str, widget: Widget,
                 before: dict[str, Any] | None) -> None:
    await record(actor=actor, action=action, object_type="widget", object_id=widget.id,
                 before=before, after=widget_state(widget), scope_path=widget.territory_path,
                 using=conn)


async def _placed_on(data: WidgetInput) -> tuple[int | None, Territory]:
    """The body and the territory a new widget belongs to: the body's territory unless
    another is named (a municipality's widget names only its territory)."""
    if data.organization_id is not None:
        organization = await Organization.get_or_none(id=data.organization_id)
        if organization is None:
            raise DomainError.of("organizationId", _("Organization not found"),
                                 ErrorCode.NOT_FOUND)
        if data.territory_code is None:
            return organization.id, await Territory.get(id=organization.territory_id)
    if data.territory_code is None:
        raise DomainError.of("territoryCode", _("Name the body or the territory of the widget"),
                             ErrorCode.REQUIRED)
    territory = await Territory.get_or_none(code=data.territory_code)
    if territory is None:
        raise DomainError.of("territoryCode", _("Territory not found"), ErrorCode.NOT_FOUND)
    return data.organization_id, territory


async def create_widget(principal: Principal, data: WidgetInput, *, dev_mode: bool) -> Widget:
    organization_id, territory = await _placed_on(data)
    access.require_keeper(principal, territory.path, organization_id)
    fields = await _checked({"title": data.title, "intro": data.intro,
                             "language": data.language, "colour": data.colour,
                             "category_codes": data.category_codes,
                             "allowed_origins": data.allowed_origins,
                             "poll_ids": data.poll_ids, "vote_ids": data.vote_ids},
                            dev_mode, data.kind, territory.path)
    async with in_transaction() as conn:
        widget = await Widget.create(
            **fields, kind=data.kind, public_key=secrets.token_urlsafe(18),
            organization_id=organization_id, territory_id=territory.id,
            territory_path=territory.path, created_by=principal.actor, using_db=conn)
        await _audit(conn, principal.actor, "widget.create", widget, None)
    return widget


async def update_widget(principal: Principal, widget_id: int, changes: dict[str, Any], *,
                        dev_mode: bool) -> Widget:
    """Change the fields given; a retired widget may be made active again."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise DomainError.of(unknown[0], _("This field cannot be changed"))
    async with in_transaction() as conn:
        widget = await Widget.filter(id=widget_id).select_for_update().using_db(conn).first()
        if widget is None:
            raise DomainError.of("id", _("Widget not found"), ErrorCode.NOT_FOUND)
        access.require_keeper(principal, widget.territory_path, widget.organization_id)
        changes = await _checked(dict(changes), dev_mode, widget.kind, widget.territory_path)
        if "status" in changes:
            changes["status"] = WidgetStatus(changes["status"])
        before = widget_state(widget)
        for name, value in changes.items():
            setattr(widget, name, value)
        widget.revision += 1
        await widget.save(using_db=conn)
        await _audit(conn, principal.actor, "widget.update", widget, before)
    return widget
