"""Who holds a GraphQL WebSocket, for how long, and with which roles.

A WebSocket outlives the request that opened it, so the checks an HTTP request gets
once must be repeated while it is open:

- the token's expiry ends the connection (close code 4401, "Token expired");
- the caller's roles are re-read every ``VMESTE_WS_RECHECK_SECONDS``; when a grant
  was revoked the connection ends (4403, "Permissions changed"), and the new, narrower
  principal is put in the context first, so a subscription polling meanwhile already
  sees less; a re-read that fails (the database restarting) is logged and tried again
  at the next round, and the expiry, which needs no database, is kept regardless;
- one principal (an anonymous caller: one client address, an IPv6 one by its /64) holds at most
  ``VMESTE_WS_MAX_CONNECTIONS_PER_PRINCIPAL`` connections in this process; one more is
  refused at ``connection_init`` (4429, "Too many connections").

A bad token is refused as before (4403, "Forbidden"). The client reconnects with a
fresh token and gets exactly what it may see now.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)

from vmeste.platform.identity.authenticate import Authenticator, bearer_token, token_expiry_of
from vmeste.platform.identity.models import User
from vmeste.platform.identity.principal import Principal
from vmeste.platform.identity.services import load_principal
from vmeste.platform.identity.tokens import TokenError
from vmeste.platform.ratelimits.clients import client_key, parse_networks
from vmeste.platform.settings import Settings

log = logging.getLogger("vmeste.websocket")

TOKEN_EXPIRED = (4401, "Token expired")
PERMISSIONS_CHANGED = (4403, "Permissions changed")
TOO_MANY_CONNECTIONS = (4429, "Too many connections")

Close = Callable[[int, str], Awaitable[None]]


class WebSocketRefused(Exception):
    """``connection_init`` is answered by closing with ``code`` and ``reason``."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass
class Session:
    key: str
    principal: Principal
    expires_at: float | None


class WebSocketSessions:
    """This process's open connections, keyed by principal."""

    def __init__(self, settings: Settings, authenticate: Authenticator,
                 clock: Callable[[], float] = time.time) -> None:
        self.limit = settings.ws_max_connections_per_principal
        self.recheck_seconds = settings.ws_recheck_seconds
        self.trusted = parse_networks(settings.trusted_proxies)
        self.authenticate = authenticate
        self.clock = clock
        self.open: Counter[str] = Counter()
        self._sessions: dict[int, Session] = {}

    async def connect(self, context: Any) -> Principal:
        """Authenticate ``connection_init`` (browsers cannot set headers on a WebSocket,
        so the token comes in its payload as ``{"Authorization": "Bearer …"}``) and
        take one of the principal's connection slots."""
        params = context.connection_params or {}
        raw = params.get("Authorization") or params.get("authorization")
        try:
            token = bearer_token(raw if isinstance(raw, str) else None)
            principal = await self.authenticate(token)
        except TokenError as error:
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED",
                                            "message": error.message}) from None
        key = (principal.actor if principal.authenticated
               else f"ip:{client_key(context.request.scope, self.trusted)}")
        if self.open[key] >= self.limit:
            log.info("websocket refused: connection cap of %d reached", self.limit)
            raise WebSocketRefused(*TOO_MANY_CONNECTIONS)
        self.open[key] += 1
        self._sessions[id(context)] = Session(key, principal,
                                              token_expiry_of(token) if token else None)
        return principal

    def release(self, context: Any) -> None:
        session = self._sessions.pop(id(context), None)
        if session is None:
            return
        self.open[session.key] -= 1
        if self.open[session.key] <= 0:
            del self.open[session.key]

    async def watch(self, context: Any, close: Close) -> None:
        """Until the connection ends: close it at token expiry or when a role the
        connection was opened with is revoked, whichever comes first. The two run side
        by side, so a role re-read stuck on the database never delays the expiry."""
        session = self._sessions.get(id(context))
        if session is None:
            return
        watchers: list[asyncio.Task[tuple[int, str]]] = []
        if session.principal.user is not None:  # anonymous callers have no roles to lose
            watchers.append(asyncio.create_task(
                self._recheck_roles(session.principal.user, session, context)))
        if session.expires_at is not None:
            watchers.append(asyncio.create_task(self._expire(session.expires_at)))
        if not watchers:
            return
        try:
            done, _ = await asyncio.wait(watchers, return_when=asyncio.FIRST_COMPLETED)
            await close(*done.pop().result())
        finally:
            for watcher in watchers:
                watcher.cancel()
            await asyncio.gather(*watchers, return_exceptions=True)

    async def _expire(self, expires_at: float) -> tuple[int, str]:
        """Needs no database: the expiry is in the token."""
        await asyncio.sleep(max(0.0, expires_at - self.clock()))
        return TOKEN_EXPIRED

    async def _recheck_roles(self, user: User, session: Session,
                             context: Any) -> tuple[int, str]:
        """A failed re-read (the database restarting, a pool timeout) is tried again at
        the next round; it must not end the watch, or the connection would outlive a
        revocation."""
        while True:
            await asyncio.sleep(self.recheck_seconds)
            try:
                current = await load_principal(user)
            except Exception as error:  # never the message: it may carry a DSN
                log.warning("websocket role re-read failed (%s); retrying in %d s",
                            type(error).__name__, self.recheck_seconds)
                continue
            if set(session.principal.grants) - set(current.grants):
                context.principal = current
                return PERMISSIONS_CHANGED


class GuardedTransportWSHandler(BaseGraphQLTransportWSHandler[Any, Any]):
    """Strawberry's graphql-transport-ws handler with the session checks above; the
    view must have a ``sessions`` attribute (:class:`WebSocketSessions`)."""

    guard: asyncio.Task[None] | None = None

    @property
    def sessions(self) -> WebSocketSessions:
        sessions: WebSocketSessions = self.view.sessions  # type: ignore[attr-defined]
        return sessions

    async def close(self, code: int, reason: str) -> None:
        with suppress(Exception):  # the client may be gone already
            await self.websocket.close(code=code, reason=reason)

    async def handle_connection_init(self, message: Any) -> None:
        try:
            await super().handle_connection_init(message)
        except WebSocketRefused as refused:
            await self.close(refused.code, refused.reason)
            return
        if self.connection_acknowledged and self.guard is None:
            self.guard = asyncio.create_task(self.sessions.watch(self.context, self.close))

    async def shutdown(self) -> None:
        if self.guard is not None:
            self.guard.cancel()
            try:
                await self.guard
            except asyncio.CancelledError:
                pass
            except Exception as error:  # a bug in the watch: say so, the socket is gone
                log.error("websocket watch failed: %s", type(error).__name__)
        self.sessions.release(self.context)
        await super().shutdown()
