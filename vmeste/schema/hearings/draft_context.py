"""What the draft, participant and proposal resolvers share: a hearing's id inside its
Relay global id, and the runtime's clock, policies and settings."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from vmeste.platform.i18n import _
from vmeste.platform.policies.services import PolicyResolver
from vmeste.platform.settings import Settings
from vmeste.schema.errors import global_pk


def hearing_pk(value: relay.GlobalID, field: str = "hearingId") -> int:
    return global_pk(value, "Hearing", field=field, message=_("This is not a hearing's id"))


def now(info: strawberry.Info) -> datetime:
    moment: datetime = info.context.runtime.clock()
    return moment


def resolver(info: strawberry.Info) -> PolicyResolver:
    found: PolicyResolver = info.context.runtime.resolver
    return found


def settings(info: strawberry.Info) -> Settings:
    found: Settings = info.context.runtime.settings
    return found
