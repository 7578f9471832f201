"""API keys of Open311 client applications: made, listed and revoked by an
administrator (a federal configurator; the command line acts as the platform), each
act audited in the transaction that does it.

A client application signs in as itself: a user row under the issuer ``open311``
(:data:`~vmeste.platform.appeals.on_behalf.OPEN311_CLIENT_ISSUER`) whose subject is the
client's number, a legal person with the application's name. No identity provider
issues tokens under that issuer, so the row is reachable through its key only.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from vmeste.platform import authz
from vmeste.platform.appeals.on_behalf import OPEN311_CLIENT_ISSUER
from vmeste.platform.audit.services import record
from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.i18n import _
from vmeste.platform.identity.models import User, UserKind
from vmeste.platform.identity.principal import Principal
from vmeste.platform.open311.models import Open311Client
from vmeste.platform.reference.models import Territory

NAME_MAX = 200
#: Characters of the key kept in clear to tell keys apart.
PREFIX_LENGTH = 8
KEY_BYTES = 32


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class NewKey:
    client: Open311Client
    #: Shown this once; only its hash is stored.
    key: str


def _snapshot(client: Open311Client, territory_code: str | None) -> dict[str, object]:
    return {"name": client.name, "key_prefix": client.key_prefix, "territory": territory_code,
            "revoked_at": client.revoked_at.isoformat() if client.revoked_at else None}


async def create_key(principal: Principal, name: str, territory_code: str | None = None, *,
                     actor: str | None = None) -> NewKey:
    authz.require_federal(principal)
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        raise DomainError.of("name", _("The name is 1 to {limit} characters", limit=NAME_MAX),
                             ErrorCode.INVALID)
    territory = None
    if territory_code:
        territory = await Territory.get_or_none(code=territory_code)
        if territory is None:
            raise DomainError.of("territory", _("Territory {code} not found",
                                                code=territory_code), ErrorCode.NOT_FOUND)
    key = secrets.token_urlsafe(KEY_BYTES)
    by = actor or principal.actor
    async with in_transaction() as conn:
        client = await Open311Client.create(
            name=name, key_hash=key_hash(key), key_prefix=key[:PREFIX_LENGTH],
            territory=territory, created_by=by, using_db=conn)
        await User.create(issuer=OPEN311_CLIENT_ISSUER, subject=str(client.id),
                          kind=UserKind.LEGAL, org_name=name, using_db=conn)
        await record(actor=by, action="open311.key_create", object_type="open311_client",
                     object_id=client.id, before=None,
                     after=_snapshot(client, territory_code), using=conn)
    return NewKey(client, key)


async def revoke_key(principal: Principal, client_id: int, *, actor: str | None = None
                     ) -> Open311Client:
    authz.require_federal(principal)
    by = actor or principal.actor
    async with in_transaction() as conn:
        client = await Open311Client.filter(id=client_id).using_db(conn).select_for_update(
        ).prefetch_related("territory").first()
        if client is None:
            raise DomainError.of("id", _("Open311 client {id} not found", id=client_id),
                                 ErrorCode.NOT_FOUND)
        if client.revoked_at is not None:
            raise DomainError.of("id", _("The key of Open311 client {id} is already revoked",
                                         id=client_id), ErrorCode.CONFLICT)
        code = client.territory.code if client.territory else None
        before = _snapshot(client, code)
        client.revoked_at, client.revoked_by = datetime.now(UTC), by
        await client.save(update_fields=["revoked_at", "revoked_by"], using_db=conn)
        await record(actor=by, action="open311.key_revoke", object_type="open311_client",
                     object_id=client.id, before=before, after=_snapshot(client, code),
                     using=conn)
    return client


async def list_keys(principal: Principal) -> list[Open311Client]:
    authz.require_federal(principal)
    return await Open311Client.all().prefetch_related("territory").order_by("id")


async def client_of(key: str) -> tuple[Open311Client, Principal] | None:
    """The live client holding ``key`` and the principal it files as; None for an
    unknown or revoked key."""
    if not key or len(key) > 128:
        return None
    client = await Open311Client.get_or_none(key_hash=key_hash(key))
    if client is None or client.revoked_at is not None:
        return None
    user = await User.get(issuer=OPEN311_CLIENT_ISSUER, subject=str(client.id))
    return client, Principal(user=user)
